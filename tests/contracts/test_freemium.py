"""Freemium: each listener's first N plays are free and counted on chain, play N+1 on is paid
at the artist's price and split by the router; N and the price stay within the contract's
bounds."""

from __future__ import annotations

import boa
import pytest

from mycelix.chain.units import ONE, PaymentType
from mycelix.strategies.freemium import strategy as freemium

from .conftest import System

FREEMIUM = "freemium-v1"
STREAM, TIP = PaymentType.STREAM, PaymentType.TIP
PRICE = 10**16


@pytest.fixture
def song(system: System, artist: str) -> bytes:
    return system.register("freemium song", FREEMIUM, artist)


def _logs(contract: object, name: str) -> list:
    return [e for e in contract.get_logs() if type(e).__name__ == name]  # type: ignore[attr-defined]


def play(system: System, song: bytes, listener: str, offer: int = PRICE) -> int:
    with boa.env.prank(listener):
        return system.router.pay(song, offer, STREAM)


def test_the_python_side_matches_the_contract(system: System) -> None:
    f = system.freemium
    assert f.DEFAULT_FREE_PLAYS() == freemium.DEFAULT_FREE_PLAYS
    assert f.MAX_FREE_PLAYS() == freemium.MAX_FREE_PLAYS
    assert f.DEFAULT_PRICE() == freemium.DEFAULT_PRICE
    assert f.MAX_PRICE() == freemium.MAX_PRICE
    fields = {c.name: c for c in freemium.STRATEGY.catalogue.config}
    assert (fields["free_plays"].default, fields["free_plays"].maximum) == (
        f.DEFAULT_FREE_PLAYS(),
        f.MAX_FREE_PLAYS(),
    )
    assert fields["price"].default == str(f.DEFAULT_PRICE())
    assert fields["price"].maximum == str(f.MAX_PRICE())


def test_defaults_until_the_artist_configures(system: System, song: bytes, listener: str) -> None:
    assert system.freemium.free_plays(song) == 3
    assert system.freemium.price(song) == PRICE
    assert system.freemium.free_plays_left(song, listener) == 3
    assert system.router.quote(song, listener, STREAM) == 0


def test_plays_one_to_n_are_free_and_n_plus_one_pays_the_price(
    system: System, song: bytes, artist: str, producer: str, listener: str
) -> None:
    with boa.env.prank(artist):
        system.freemium.configure(song, 2, 5 * ONE)
        system.router.configure_splits(song, [artist, producer], [7_000, 3_000], [0, 2])
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    assert [play(system, song, listener, 5 * ONE) for _ in range(2)] == [0, 0]
    assert system.flow.balanceOf(listener) == before
    assert system.freemium.free_plays_taken(song, listener) == 2
    assert system.router.quote(song, listener, STREAM) == 5 * ONE
    assert play(system, song, listener, 6 * ONE) == 5 * ONE  # charged the price, not the offer
    assert play(system, song, listener, 5 * ONE) == 5 * ONE
    assert system.flow.balanceOf(listener) == before - 10 * ONE
    fee = 5 * ONE * system.router.fee_bps() // 10_000
    net = 5 * ONE - fee
    assert system.router.credits(producer) == 2 * (net * 3_000 // 10_000)
    assert system.router.credits(artist) == 2 * (net - net * 3_000 // 10_000)


def test_free_plays_are_recorded_as_payments_of_zero(
    system: System, song: bytes, listener: str
) -> None:
    with boa.env.prank(listener):
        assert system.router.pay(song, 0, STREAM) == 0
        (payment,) = _logs(system.router, "Payment")
    assert (payment.amount, payment.fee, payment.payment_type) == (0, 0, STREAM)


def test_each_listener_has_their_own_free_plays(
    system: System, song: bytes, artist: str, listener: str, stranger: str
) -> None:
    with boa.env.prank(artist):
        system.freemium.configure(song, 1, PRICE)
    system.fund(listener)
    assert play(system, song, listener) == 0
    assert play(system, song, listener) == PRICE
    assert system.freemium.free_plays_left(song, stranger) == 1
    assert play(system, song, stranger, 0) == 0  # a listener without FLOW still gets theirs
    with boa.env.prank(stranger), boa.reverts("freemium: payment below price"):
        system.router.pay(song, PRICE - 1, STREAM)


def test_zero_free_plays_charges_from_the_first_play(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    with boa.env.prank(artist):
        system.freemium.configure(song, 0, PRICE)
    system.fund(listener)
    assert system.router.quote(song, listener, STREAM) == PRICE
    assert play(system, song, listener) == PRICE


def test_lowering_n_ends_free_plays_raising_it_gives_the_difference(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    system.fund(listener)
    assert play(system, song, listener) == 0  # 1 of the default 3
    with boa.env.prank(artist):
        system.freemium.configure(song, 1, PRICE)
    assert play(system, song, listener) == PRICE
    with boa.env.prank(artist):
        system.freemium.configure(song, 3, PRICE)
    assert system.freemium.free_plays_left(song, listener) == 2
    assert [play(system, song, listener) for _ in range(3)] == [0, 0, PRICE]


def test_the_bounds_are_the_contracts(system: System, song: bytes, artist: str) -> None:
    f = system.freemium
    with boa.env.prank(artist):
        f.configure(song, f.MAX_FREE_PLAYS(), f.MAX_PRICE())
        (log,) = _logs(f, "FreemiumConfigured")
        assert (log.free_plays, log.price) == (f.MAX_FREE_PLAYS(), f.MAX_PRICE())
        assert (f.free_plays(song), f.price(song)) == (f.MAX_FREE_PLAYS(), f.MAX_PRICE())
        f.configure(song, 0, 1)
        for args, reason in (
            ((f.MAX_FREE_PLAYS() + 1, PRICE), "freemium: too many free plays"),
            ((1, 0), "freemium: zero price"),
            ((1, f.MAX_PRICE() + 1), "freemium: price above maximum"),
        ):
            with boa.reverts(reason):
                f.configure(song, *args)
    assert (f.free_plays(song), f.price(song)) == (0, 1)


def test_only_the_artist_configures(system: System, song: bytes, stranger: str) -> None:
    with boa.env.prank(stranger), boa.reverts("freemium: caller is not the artist"):
        system.freemium.configure(song, 5, PRICE)
    assert system.freemium.free_plays(song) == 3


@pytest.mark.parametrize(
    ("ptype", "amount", "reason"),
    [
        (TIP, 0, "freemium: zero tip"),
        (PaymentType.DOWNLOAD, PRICE, "freemium: unsupported payment type"),
        (PaymentType.PATRONAGE, PRICE, "freemium: unsupported payment type"),
        (PaymentType.ACCESS, PRICE, "freemium: unsupported payment type"),
    ],
)
def test_unacceptable_payments_revert(
    system: System, listener: str, song: bytes, ptype: int, amount: int, reason: str
) -> None:
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    with boa.env.prank(listener), boa.reverts(reason):
        system.router.pay(song, amount, ptype)
    assert system.flow.balanceOf(listener) == before


def test_tips_are_charged_whole(system: System, song: bytes, listener: str) -> None:
    system.fund(listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, 7 * ONE, TIP) == 7 * ONE
    assert system.freemium.free_plays_taken(song, listener) == 0


def test_only_the_router_may_charge(system: System, stranger: str, song: bytes) -> None:
    with boa.env.prank(stranger), boa.reverts("freemium: caller is not the router"):
        system.freemium.charge(song, stranger, PRICE, STREAM, 0)
    assert system.freemium.free_plays_taken(song, stranger) == 0


def test_no_play_is_authorised_without_going_through_the_router(
    system: System, song: bytes, listener: str
) -> None:
    # Free plays are counted by paying 0, so none is authorised off the record.
    assert not system.router.is_authorized(song, listener)
    assert not system.freemium.holds_access(song, listener)

"""Pay-per-stream: the artist's price, charged exactly, split by the router."""

from __future__ import annotations

import boa
import pytest

from mycelix.chain.units import ONE, PaymentType

from .conftest import System, load

PPS = "pay-per-stream-v1"
PRICE = 10**16


@pytest.fixture
def song(system: System, artist: str) -> bytes:
    return system.register("pps song", PPS, artist)


def test_default_price_is_one_hundredth_flow(system: System, song: bytes, listener: str) -> None:
    assert system.pps.price(song) == PRICE
    assert system.pps.DEFAULT_PRICE() == PRICE
    assert system.router.quote(song, listener, PaymentType.STREAM) == PRICE
    assert system.router.quote(song, listener, PaymentType.TIP) == 1


def test_artist_sets_the_price(system: System, artist: str, stranger: str, song: bytes) -> None:
    with boa.env.prank(stranger), boa.reverts("pps: caller is not the artist"):
        system.pps.set_price(song, 1)
    with boa.env.prank(artist), boa.reverts("pps: zero price"):
        system.pps.set_price(song, 0)
    assert system.pps.price(song) == PRICE
    with boa.env.prank(artist):
        system.pps.set_price(song, 2 * PRICE)
    (log,) = system.pps.get_logs()
    assert system.pps.price(song) == 2 * PRICE
    assert type(log).__name__ == "PriceSet"


def test_stream_charges_the_price_not_the_offer(
    system: System, artist: str, listener: str, song: bytes
) -> None:
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, 3 * PRICE, PaymentType.STREAM) == PRICE
    assert system.flow.balanceOf(listener) == before - PRICE


def test_multi_recipient_payment_splits_by_basis_points(
    system: System, artist: str, producer: str, engineer: str, listener: str, song: bytes
) -> None:
    with boa.env.prank(artist):
        system.router.configure_splits(
            song, [artist, producer, engineer], [6_000, 3_000, 1_000], [0, 2, 4]
        )
        system.pps.set_price(song, 100 * ONE)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, 100 * ONE, PaymentType.STREAM)
    assert system.router.credits(artist) == 594 * ONE // 10
    assert system.router.credits(producer) == 297 * ONE // 10
    assert system.router.credits(engineer) == 99 * ONE // 10


def test_twenty_recipients_all_get_paid(
    system: System, artist: str, listener: str, song: bytes
) -> None:
    members = [boa.env.generate_address(f"band member {i}") for i in range(20)]
    with boa.env.prank(artist):
        system.router.configure_splits(song, members, [500] * 20, [9] * 20)
        system.pps.set_price(song, 100 * ONE)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, 100 * ONE, PaymentType.STREAM)
    assert all(system.router.credits(m) == 99 * ONE // 20 for m in members)


def test_splits_do_not_depend_on_the_amount(
    system: System, artist: str, producer: str, song: bytes
) -> None:
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist, producer], [7_000, 3_000], [0, 2])
    for amount in (ONE, 10 * ONE, 100 * ONE):
        fee, shares = system.router.preview_distribution(song, amount)
        net = amount - fee
        assert shares == [(artist, net * 7_000 // 10_000), (producer, net * 3_000 // 10_000)]


@pytest.mark.parametrize(
    ("ptype", "amount", "reason"),
    [
        (PaymentType.STREAM, PRICE - 1, "pps: payment below price"),
        (PaymentType.STREAM, 0, "pps: payment below price"),
        (PaymentType.TIP, 0, "pps: zero tip"),
        (PaymentType.DOWNLOAD, PRICE, "pps: unsupported payment type"),
        (PaymentType.PATRONAGE, PRICE, "pps: unsupported payment type"),
        (PaymentType.ACCESS, PRICE, "pps: unsupported payment type"),
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


def test_only_the_router_may_charge(system: System, stranger: str, song: bytes) -> None:
    with boa.env.prank(stranger), boa.reverts("pps: caller is not the router"):
        system.pps.charge(song, stranger, PRICE, PaymentType.STREAM, 0)


def test_every_play_must_be_paid(system: System, listener: str, song: bytes) -> None:
    assert not system.router.is_authorized(song, listener)
    with boa.reverts("pps: unsupported payment type"):
        system.router.quote(song, listener, PaymentType.ACCESS)


def test_constructor_needs_a_router_contract(stranger: str) -> None:
    with boa.reverts("pps: router is not a contract"):
        load("PayPerStream", stranger)

"""Access that was sold outlives a strategy change: auction slot holders keep it forever, patrons
to the end of their paid period plus grace; free listening under the gift strategy was not sold
and does not carry over."""

from __future__ import annotations

import boa
import pytest

from mycelix.chain.units import DAY, ONE, PaymentType
from mycelix.strategies.ids import strategy_id

from .conftest import System

PPS = "pay-per-stream-v1"
GIFT = "gift-economy-v1"
PATRONAGE = "patronage-v1"
AUCTION = "dutch-auction-v1"
PRICE = 10**16
PERIOD = 30 * DAY
GRACE = 7 * DAY


def move(system: System, song: bytes, artist: str, strategy: str) -> None:
    with boa.env.prank(artist):
        system.router.change_strategy(song, strategy_id(strategy))


def stream(system: System, song: bytes, listener: str, offer: int = PRICE) -> int:
    with boa.env.prank(listener):
        return system.router.pay(song, offer, PaymentType.STREAM)


def buy_slot(system: System, song: bytes, buyer: str) -> None:
    number = system.auction.auction(song).number
    with boa.env.prank(buyer):
        system.router.pay(song, 100 * ONE, PaymentType.ACCESS, number)


@pytest.fixture
def released(system: System, artist: str, listener: str) -> bytes:
    """A song whose auction sold `listener` a slot."""
    song = system.register("limited release", AUCTION, artist)
    with boa.env.prank(artist):
        system.auction.create_auction(song, 10 * ONE, ONE, 0, DAY, 5)
    system.fund(listener)
    buy_slot(system, song, listener)
    return song


@pytest.fixture
def patron_song(system: System, artist: str, listener: str) -> bytes:
    """A patron-only song of an artist whose patron `listener` joined a tier with exclusive
    content through it."""
    with boa.env.prank(artist):
        system.patronage.configure(["inner circle"], [5 * ONE], [True], [], 0)
    song = system.register("patron channel", PATRONAGE, artist)
    with boa.env.prank(artist):
        system.patronage.set_patron_only(song, True)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, 5 * ONE, PaymentType.PATRONAGE, 0)
    return song


def test_slot_holder_keeps_free_access_after_a_move_to_pay_per_stream(
    system: System, artist: str, listener: str, stranger: str, released: bytes
) -> None:
    move(system, released, artist, PPS)
    assert system.router.is_authorized(released, listener)
    assert system.router.quote(released, listener, PaymentType.STREAM) == 0
    balance = system.flow.balanceOf(listener)
    credits = system.router.credits(artist)
    assert stream(system, released, listener) == 0
    (payment,) = [e for e in system.router.get_logs() if type(e).__name__ == "Payment"]
    assert (payment.payer, payment.amount, payment.fee) == (listener, 0, 0)
    assert payment.strategy == system.pps.address
    assert system.flow.balanceOf(listener) == balance
    assert system.router.credits(artist) == credits
    # Forever, through any later strategy that does not sell access itself.
    boa.env.time_travel(seconds=400 * DAY)
    move(system, released, artist, GIFT)
    move(system, released, artist, PPS)
    assert stream(system, released, listener) == 0
    # Someone who never bought a slot pays the price.
    assert not system.router.is_authorized(released, stranger)
    system.fund(stranger)
    assert stream(system, released, stranger) == PRICE


def test_slot_holder_pays_for_tips_and_other_payments_as_usual(
    system: System, artist: str, listener: str, released: bytes
) -> None:
    move(system, released, artist, PPS)
    with boa.env.prank(listener):
        assert system.router.pay(released, ONE, PaymentType.TIP) == ONE


def test_patron_keeps_access_after_a_move_until_period_and_grace_end(
    system: System, artist: str, listener: str, patron_song: bytes
) -> None:
    joined = system.patronage.patron(artist, listener)
    move(system, patron_song, artist, PPS)
    assert system.router.is_authorized(patron_song, listener)
    assert stream(system, patron_song, listener) == 0
    end = joined.paid_until + GRACE
    boa.env.time_travel(seconds=end - boa.env.evm.patch.timestamp)
    assert system.router.is_authorized(patron_song, listener)
    assert stream(system, patron_song, listener) == 0
    boa.env.time_travel(seconds=1)
    assert not system.router.is_authorized(patron_song, listener)
    assert system.router.quote(patron_song, listener, PaymentType.STREAM) == PRICE
    balance = system.flow.balanceOf(listener)
    assert stream(system, patron_song, listener) == PRICE
    assert system.flow.balanceOf(listener) == balance - PRICE


def test_patron_of_a_public_song_keeps_access_too(
    system: System, artist: str, listener: str, stranger: str
) -> None:
    with boa.env.prank(artist):
        system.patronage.configure(["supporter"], [ONE], [False], [], 0)
    song = system.register("open channel", PATRONAGE, artist)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, ONE, PaymentType.PATRONAGE, 0)
    move(system, song, artist, PPS)
    assert stream(system, song, listener) == 0
    system.fund(stranger)
    assert stream(system, song, stranger) == PRICE


def test_gift_era_listener_gets_no_free_access_after_a_move(
    system: System, artist: str, listener: str, treasury: str
) -> None:
    song = system.register("gift single", GIFT, artist)
    system.fund(listener)
    assert stream(system, song, listener, 0) == 0
    assert system.router.is_authorized(song, listener)
    move(system, song, artist, PPS)
    assert not system.router.is_authorized(song, listener)
    assert not system.gift.holds_access(song, listener)
    with boa.env.prank(listener), boa.reverts("pps: payment below price"):
        system.router.pay(song, 0, PaymentType.STREAM)
    assert stream(system, song, listener) == PRICE
    assert system.router.credits(artist) == PRICE * 99 // 100


def test_holds_access_of_each_strategy(
    system: System, artist: str, listener: str, stranger: str, released: bytes
) -> None:
    song = system.register("any", PPS, artist)
    assert not system.pps.holds_access(song, listener)
    assert not system.gift.holds_access(song, listener)
    assert system.auction.holds_access(released, listener)
    assert not system.auction.holds_access(released, stranger)
    assert not system.patronage.holds_access(song, listener)


def test_cancelled_patron_keeps_access_until_paid_until_only(
    system: System, artist: str, listener: str, patron_song: bytes
) -> None:
    joined = system.patronage.patron(artist, listener)
    with boa.env.prank(listener):
        system.patronage.cancel(artist)
    move(system, patron_song, artist, PPS)
    boa.env.time_travel(seconds=joined.paid_until - boa.env.evm.patch.timestamp)
    assert stream(system, patron_song, listener) == 0
    boa.env.time_travel(seconds=1)
    assert stream(system, patron_song, listener) == PRICE


def test_moving_back_to_the_selling_strategy_keeps_its_own_rules(
    system: System, artist: str, listener: str, stranger: str, released: bytes
) -> None:
    move(system, released, artist, PPS)
    move(system, released, artist, AUCTION)
    assert stream(system, released, listener) == 0
    system.fund(stranger)
    with boa.env.prank(stranger), boa.reverts("auction: no access"):
        system.router.pay(released, PRICE, PaymentType.STREAM)

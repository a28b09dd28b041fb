"""Dutch auction: limited slots at a linearly falling price, bought through the router, with
permanent access for slot holders. Reference cases: strategies.md §3.5."""

from __future__ import annotations

from typing import Any

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelix.chain.units import DAY, ONE, PaymentType

from .conftest import System, build_system, load

AUCTION = "dutch-auction-v1"
PPS = "pay-per-stream-v1"
START = 100 * ONE
FLOOR = 10 * ONE
WEEK = 7 * DAY
SLOTS = 100

MAX_PRICE = 2**96 - 1
MAX_SLOTS = 2**24 - 1
MAX_TIME = 2**64 - 1

SOLD_OUT, BY_ARTIST, EXPIRED = 1, 2, 3

# strategies.md §2.4.1, 100 -> 10 FLOW over 7 days
REFERENCE_PRICES = [
    (0, 100 * ONE),
    (DAY, 87_142_857_142_857_142_858),
    (2 * DAY, 74_285_714_285_714_285_715),
    (3 * DAY, 61_428_571_428_571_428_572),
    (7 * DAY // 2, 55 * ONE),
    (4 * DAY, 48_571_428_571_428_571_429),
    (6 * DAY, 22_857_142_857_142_857_143),
    (7 * DAY, 10 * ONE),
    (8 * DAY, 10 * ONE),
]


def linear_price(start: int, floor: int, duration: int, elapsed: int) -> int:
    """The design's formula: start − ⌊(start − floor) × elapsed / duration⌋, floor at the end."""
    if elapsed >= duration:
        return floor
    return start - (start - floor) * elapsed // duration


def net_of_fee(price: int) -> int:
    """What the artist is credited for a charge, with the default 1 % fee and no splits."""
    return price - price * 100 // 10_000


def now() -> int:
    return boa.env.evm.patch.timestamp


def events(contract: Any, name: str) -> list[Any]:
    """Events called `name` logged by the last call to `contract` (child calls included)."""
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def names(logs: list[Any]) -> list[str]:
    return [type(e).__name__ for e in logs]


def create(
    system: System,
    artist: str,
    song: bytes,
    start: int = START,
    floor: int = FLOOR,
    start_time: int = 0,
    duration: int = WEEK,
    slots: int = SLOTS,
) -> list[Any]:
    """Create an auction as `artist`; returns the events it logged."""
    with boa.env.prank(artist):
        system.auction.create_auction(song, start, floor, start_time, duration, slots)
    return system.auction.get_logs()


def buy(system: System, song: bytes, buyer: str, max_price: int, number: int | None = None) -> int:
    """Buy a slot as `buyer`, naming the song's latest auction unless `number` is given."""
    if number is None:
        number = system.auction.auction_number(song)
    with boa.env.prank(buyer):
        return system.router.pay(song, max_price, PaymentType.ACCESS, number)


def snapshot(system: System, song: bytes, *accounts: str) -> tuple:
    """Everything a refused call must leave untouched."""
    a = system.auction
    return (
        tuple(a.auction(song)),
        tuple(a.slot_of(song, x) for x in accounts),
        tuple(system.flow.balanceOf(x) for x in accounts),
        tuple(system.router.credits(x) for x in accounts),
        system.flow.balanceOf(system.router.address),
    )


@pytest.fixture
def song(system: System, artist: str) -> bytes:
    return system.register("song-auction-1", AUCTION, artist)


@pytest.fixture
def buyers(system: System, listeners: list[str]) -> list[str]:
    for buyer in listeners[:3]:
        system.fund(buyer)
    return listeners[:3]


@pytest.fixture
def live(system: System, artist: str, song: bytes) -> int:
    """A week-long 100 -> 10 FLOW auction of 100 slots, started now; returns its start time."""
    create(system, artist, song)
    return now()


# ------------------------------------------------------------- creation


def test_create_auction_records_parameters(system: System, artist: str, song: bytes) -> None:
    t0 = now()
    (log,) = create(system, artist, song)
    state = system.auction.auction(song)
    assert state.number == 1
    assert (state.start_price, state.floor_price) == (START, FLOOR)
    assert (state.start_time, state.end_time, state.duration) == (t0, t0 + WEEK, WEEK)
    assert (state.slots, state.sold, state.revenue) == (SLOTS, 0, 0)
    assert (state.clearing_price, state.average_price) == (0, 0)
    assert state.live
    assert type(log).__name__ == "AuctionCreated"
    assert (log.song_id, log.artist, log.number) == (song, artist, 1)
    assert (log.start_price, log.floor_price, log.start_time, log.end_time, log.slots) == (
        START,
        FLOOR,
        t0,
        t0 + WEEK,
        SLOTS,
    )


def test_a_scheduled_auction_opens_at_its_start_time(
    system: System, artist: str, song: bytes, buyers: list[str]
) -> None:
    t0 = now() + DAY
    create(system, artist, song, start_time=t0)
    state = system.auction.auction(song)
    assert (state.start_time, state.end_time, state.live) == (t0, t0 + WEEK, True)
    assert system.auction.current_price(song) == START
    boa.env.time_travel(seconds=DAY - 1)
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: not started"):
        buy(system, song, buyers[0], START)
    with boa.reverts("auction: not started"):
        system.router.quote(song, buyers[0], PaymentType.ACCESS)
    assert snapshot(system, song, buyers[0]) == before
    boa.env.time_travel(seconds=1)
    assert buy(system, song, buyers[0], START) == START


def test_start_time_may_be_now_explicitly(system: System, artist: str, song: bytes) -> None:
    t0 = now()
    create(system, artist, song, start_time=t0)
    assert system.auction.auction(song).start_time == t0


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"start": FLOOR}, "auction: start price not above floor"),
        ({"start": FLOOR - 1}, "auction: start price not above floor"),
        ({"start": 0, "floor": 0}, "auction: start price not above floor"),
        ({"start": MAX_PRICE + 1}, "auction: start price too large"),
        ({"duration": 0}, "auction: zero duration"),
        ({"duration": MAX_TIME + 1}, "auction: duration too long"),
        ({"slots": 0}, "auction: zero slots"),
        ({"slots": MAX_SLOTS + 1}, "auction: too many slots"),
        ({"start_time": -1}, "auction: start in the past"),  # -1: one second ago
        ({"start_time": 1}, "auction: start in the past"),
        ({"start_time": MAX_TIME + 1}, "auction: start too late"),
    ],
)
def test_bad_auction_parameters_revert(
    system: System, artist: str, song: bytes, args: dict[str, int], reason: str
) -> None:
    if args.get("start_time") == -1:
        args = {"start_time": now() - 1}
    with boa.reverts(reason):
        create(system, artist, song, **args)
    assert system.auction.auction(song).number == 0


def test_parameter_bounds_are_inclusive(system: System, artist: str, song: bytes) -> None:
    create(
        system,
        artist,
        song,
        start=MAX_PRICE,
        floor=MAX_PRICE - 1,
        duration=MAX_TIME,
        slots=MAX_SLOTS,
    )
    state = system.auction.auction(song)
    assert (state.start_price, state.floor_price, state.duration, state.slots) == (
        MAX_PRICE,
        MAX_PRICE - 1,
        MAX_TIME,
        MAX_SLOTS,
    )
    with boa.env.prank(artist):
        system.auction.end_auction(song)
        system.auction.create_auction(song, 1, 0, MAX_TIME, 1, 1)
    assert system.auction.auction(song).start_time == MAX_TIME


def test_only_the_artist_of_record_creates_an_auction(
    system: System, artist: str, stranger: str, song: bytes
) -> None:
    with boa.reverts("auction: caller is not the artist"):
        create(system, stranger, song)
    with boa.reverts("auction: caller is not the artist"):
        create(system, stranger, b"\x01" * 32)  # unregistered song: no artist
    system.transfer(song, artist, stranger)
    with boa.reverts("auction: caller is not the artist"):
        create(system, artist, song)
    create(system, stranger, song)
    assert system.auction.auction(song).number == 1


def test_only_songs_on_this_strategy_get_an_auction(system: System, artist: str) -> None:
    other = system.register("pps single", PPS, artist)
    with boa.reverts("auction: song not on this strategy"):
        create(system, artist, other)
    assert system.auction.auction(other).number == 0
    with boa.env.prank(artist):
        system.router.change_strategy(other, system.router.strategy_id_of(system.auction.address))
    create(system, artist, other)
    assert system.auction.auction(other).live
    with boa.env.prank(artist):
        system.auction.end_auction(other)
        system.router.change_strategy(other, system.router.strategy_id_of(system.pps.address))
    with boa.reverts("auction: song not on this strategy"):
        create(system, artist, other)
    assert system.auction.auction(other).number == 1


def test_a_live_auction_cannot_be_overwritten(
    system: System, artist: str, song: bytes, buyers: list[str]
) -> None:
    create(system, artist, song)
    buy(system, song, buyers[0], START)
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: auction live"):
        create(system, artist, song, start=5 * ONE, floor=0, slots=1)
    boa.env.time_travel(seconds=WEEK - 1)
    with boa.reverts("auction: auction live"):
        create(system, artist, song)
    assert snapshot(system, song, buyers[0]) == before


def test_a_scheduled_auction_cannot_be_overwritten_but_can_be_cancelled(
    system: System, artist: str, song: bytes
) -> None:
    create(system, artist, song, start_time=now() + DAY)
    with boa.reverts("auction: auction live"):
        create(system, artist, song)
    with boa.env.prank(artist):
        system.auction.end_auction(song)
        (ended,) = events(system.auction, "AuctionEnded")
    assert (ended.number, ended.reason, ended.sold, ended.revenue) == (1, BY_ARTIST, 0, 0)
    create(system, artist, song)
    assert system.auction.auction(song).number == 2


def test_next_auction_after_expiry_keeps_earlier_holders(
    system: System, artist: str, song: bytes, buyers: list[str]
) -> None:
    first, second, third = buyers
    t0 = now()
    create(system, artist, song)
    buy(system, song, first, START)
    boa.env.time_travel(seconds=WEEK)
    assert not system.auction.auction(song).live
    expired, created = create(
        system, artist, song, start=50 * ONE, floor=5 * ONE, duration=DAY, slots=2
    )
    assert type(expired).__name__ == "AuctionEnded"
    assert (expired.song_id, expired.number, expired.reason) == (song, 1, EXPIRED)
    assert (expired.sold, expired.revenue, expired.clearing_price, expired.ended_at) == (
        1,
        START,
        START,
        t0 + WEEK,
    )
    assert (type(created).__name__, created.number) == ("AuctionCreated", 2)
    state = system.auction.auction(song)
    assert (state.number, state.sold, state.revenue, state.clearing_price) == (2, 0, 0, 0)
    assert state.live
    # the first holder keeps permanent access and cannot pay for a second slot
    assert system.router.is_authorized(song, first)
    assert system.auction.slot_of(song, first) == (1, 1)
    with boa.reverts("auction: already holds a slot"):
        buy(system, song, first, 50 * ONE)
    assert buy(system, song, second, 50 * ONE) == 50 * ONE
    assert system.auction.slot_of(song, second) == (2, 1)
    assert buy(system, song, third, 50 * ONE) == 50 * ONE
    # a sold-out auction already logged its end: the next creation logs only the creation
    assert names(create(system, artist, song)) == ["AuctionCreated"]
    assert system.auction.auction(song).number == 3


# ---------------------------------------------------------------- price


@pytest.mark.parametrize(("elapsed", "expected"), REFERENCE_PRICES)
def test_reference_prices(
    system: System, song: bytes, live: int, elapsed: int, expected: int
) -> None:
    assert system.auction.price_at(song, live + elapsed) == expected
    boa.env.time_travel(seconds=elapsed)
    assert system.auction.current_price(song) == expected
    assert linear_price(START, FLOOR, WEEK, elapsed) == expected


def test_price_at_start_midway_and_end(system: System, song: bytes, live: int) -> None:
    assert system.auction.current_price(song) == 100 * ONE
    boa.env.time_travel(seconds=WEEK // 2)
    assert system.auction.current_price(song) == 55 * ONE
    boa.env.time_travel(seconds=WEEK // 2 + DAY)
    assert system.auction.current_price(song) == 10 * ONE
    assert system.auction.price_at(song, live - 1) == START  # before the start: the start price


def test_price_needs_an_auction(system: System, song: bytes, listener: str) -> None:
    assert tuple(system.auction.auction(song)) == (0,) * 11 + (False,)
    with boa.reverts("auction: no auction"):
        system.auction.current_price(song)
    with boa.reverts("auction: no auction"):
        system.auction.price_at(song, now())
    with boa.reverts("auction: no auction"):
        system.router.quote(song, listener, PaymentType.ACCESS)


# ------------------------------------------------------------- purchase


def test_purchase_at_the_start_pays_the_start_price(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    buyer = buyers[0]
    assert not system.router.is_authorized(song, buyer)
    assert system.router.quote(song, buyer, PaymentType.ACCESS) == START
    before = system.flow.balanceOf(buyer)
    assert buy(system, song, buyer, START) == START
    (log,) = events(system.router, "SlotPurchased")
    (payment,) = events(system.router, "Payment")
    assert system.flow.balanceOf(buyer) == before - START
    assert system.flow.balanceOf(system.router.address) == START
    assert system.router.credits(artist) == 99 * ONE
    assert system.router.credits(system.treasury) == ONE
    assert system.auction.holds_slot(song, buyer)
    assert system.router.is_authorized(song, buyer)
    assert system.auction.slot_of(song, buyer) == (1, 1)
    assert system.auction.auction(song).sold == 1
    assert (log.song_id, log.buyer, log.number, log.price, log.slot) == (song, buyer, 1, START, 1)
    assert (payment.payer, payment.payment_type, payment.amount, payment.fee) == (
        buyer,
        PaymentType.ACCESS,
        START,
        ONE,
    )


def test_purchase_at_a_declining_price_pays_exactly_the_price(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    boa.env.time_travel(seconds=WEEK // 2)
    before = system.flow.balanceOf(buyers[0])
    assert buy(system, song, buyers[0], 60 * ONE) == 55 * ONE
    assert system.flow.balanceOf(buyers[0]) == before - 55 * ONE
    assert system.router.credits(artist) == net_of_fee(55 * ONE) == 5_445 * ONE // 100


def test_price_above_the_maximum_reverts(
    system: System, song: bytes, buyers: list[str], live: int
) -> None:
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: price above maximum"):
        buy(system, song, buyers[0], 50 * ONE)
    boa.env.time_travel(seconds=DAY)
    price = REFERENCE_PRICES[1][1]
    with boa.reverts("auction: price above maximum"):
        buy(system, song, buyers[0], price - 1)
    assert snapshot(system, song, buyers[0]) == before
    assert buy(system, song, buyers[0], price) == price


def test_cannot_buy_twice(system: System, song: bytes, buyers: list[str], live: int) -> None:
    buy(system, song, buyers[0], START)
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: already holds a slot"):
        buy(system, song, buyers[0], START)
    with boa.reverts("auction: already holds a slot"):
        system.router.quote(song, buyers[0], PaymentType.ACCESS)
    assert snapshot(system, song, buyers[0]) == before


def test_auction_sells_out_after_its_slots(
    system: System, artist: str, song: bytes, buyers: list[str]
) -> None:
    first, second, third = buyers
    create(system, artist, song, slots=2)
    buy(system, song, first, START)
    assert system.auction.auction(song).live
    boa.env.time_travel(seconds=DAY)
    price = REFERENCE_PRICES[1][1]
    buy(system, song, second, START)
    purchase, ended = (e for e in system.router.get_logs() if e.address == system.auction.address)
    assert (type(purchase).__name__, purchase.slot) == ("SlotPurchased", 2)
    assert type(ended).__name__ == "AuctionEnded"
    assert (ended.number, ended.reason, ended.sold, ended.revenue) == (
        1,
        SOLD_OUT,
        2,
        START + price,
    )
    assert (ended.clearing_price, ended.ended_at) == (price, now())
    state = system.auction.auction(song)
    assert (state.live, state.sold, state.clearing_price) == (False, 2, price)
    before = snapshot(system, song, third)
    with boa.reverts("auction: sold out"):
        buy(system, song, third, START)
    with boa.reverts("auction: sold out"):
        system.router.quote(song, third, PaymentType.ACCESS)
    assert snapshot(system, song, third) == before
    with boa.env.prank(artist), boa.reverts("auction: not live"):
        system.auction.end_auction(song)


def test_artist_ends_the_auction_early(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    buy(system, song, buyers[0], START)
    boa.env.time_travel(seconds=DAY)
    with boa.env.prank(artist):
        system.auction.end_auction(song)
        (log,) = events(system.auction, "AuctionEnded")
    assert (log.song_id, log.number, log.reason, log.sold, log.revenue, log.clearing_price) == (
        song,
        1,
        BY_ARTIST,
        1,
        START,
        START,
    )
    assert log.ended_at == now()
    assert not system.auction.auction(song).live
    with boa.reverts("auction: ended"):
        buy(system, song, buyers[1], START)
    assert system.router.is_authorized(song, buyers[0])  # buyers keep their slots
    with boa.env.prank(artist), boa.reverts("auction: not live"):
        system.auction.end_auction(song)


def test_only_the_artist_ends_an_auction(
    system: System, artist: str, song: bytes, buyers: list[str]
) -> None:
    with boa.env.prank(artist), boa.reverts("auction: no auction"):
        system.auction.end_auction(song)
    create(system, artist, song)
    with boa.env.prank(buyers[0]), boa.reverts("auction: caller is not the artist"):
        system.auction.end_auction(song)
    assert system.auction.auction(song).live
    boa.env.time_travel(seconds=WEEK)
    with boa.env.prank(artist), boa.reverts("auction: not live"):
        system.auction.end_auction(song)


def test_auction_stats_after_one_purchase(
    system: System, song: bytes, buyers: list[str], live: int
) -> None:
    buy(system, song, buyers[0], START)
    state = system.auction.auction(song)
    assert system.auction.current_price(song) == 100 * ONE
    assert (state.sold, state.slots - state.sold) == (1, 99)
    assert state.revenue == state.average_price == state.clearing_price == 100 * ONE
    assert state.live


def test_average_price_is_revenue_over_sold(
    system: System, song: bytes, buyers: list[str], live: int
) -> None:
    buy(system, song, buyers[0], START)
    boa.env.time_travel(seconds=WEEK // 2)
    buy(system, song, buyers[1], START)
    state = system.auction.auction(song)
    assert (state.sold, state.revenue, state.clearing_price) == (2, 155 * ONE, 55 * ONE)
    assert state.average_price == state.revenue // state.sold == 775 * ONE // 10


def test_multiple_purchases_are_tracked(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    prices = []
    for buyer, elapsed in zip(buyers, (0, 2 * DAY, 4 * DAY), strict=True):
        boa.env.time_travel(seconds=live + elapsed - now())
        prices.append(buy(system, song, buyer, START))
    assert prices == [REFERENCE_PRICES[0][1], REFERENCE_PRICES[2][1], REFERENCE_PRICES[5][1]]
    assert all(system.router.is_authorized(song, b) for b in buyers)
    assert [system.auction.slot_of(song, b) for b in buyers] == [(1, 1), (1, 2), (1, 3)]
    state = system.auction.auction(song)
    assert (state.sold, state.revenue, state.clearing_price) == (3, sum(prices), prices[-1])
    assert system.router.credits(artist) == sum(net_of_fee(p) for p in prices)
    assert system.flow.balanceOf(system.router.address) == sum(prices)


def test_cannot_buy_after_the_end(
    system: System, song: bytes, buyers: list[str], live: int
) -> None:
    boa.env.time_travel(seconds=8 * DAY)
    with boa.reverts("auction: ended"):
        buy(system, song, buyers[0], 10 * ONE)


def test_last_second_sells_and_the_end_refuses(
    system: System, song: bytes, buyers: list[str], live: int
) -> None:
    boa.env.time_travel(seconds=WEEK - 1)
    last = linear_price(START, FLOOR, WEEK, WEEK - 1)
    assert last == FLOOR + (START - FLOOR) // WEEK + 1  # still above the floor
    assert system.auction.auction(song).live
    assert buy(system, song, buyers[0], START) == last
    boa.env.time_travel(seconds=1)
    assert not system.auction.auction(song).live
    assert system.auction.current_price(song) == FLOOR
    before = snapshot(system, song, buyers[1])
    with boa.reverts("auction: ended"):
        buy(system, song, buyers[1], START)
    with boa.reverts("auction: ended"):
        system.router.quote(song, buyers[1], PaymentType.ACCESS)
    assert snapshot(system, song, buyers[1]) == before


def test_no_auction_no_purchase(system: System, song: bytes, buyers: list[str]) -> None:
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: no auction"):
        buy(system, song, buyers[0], START)
    assert snapshot(system, song, buyers[0]) == before


def test_zero_floor_auction_never_sells_for_nothing(
    system: System, artist: str, song: bytes, buyers: list[str]
) -> None:
    create(system, artist, song, start=3, floor=0, duration=10, slots=3)
    boa.env.time_travel(seconds=9)
    assert buy(system, song, buyers[0], 1) == 1  # 3 - 3 * 9 // 10
    boa.env.time_travel(seconds=1)
    assert system.auction.current_price(song) == 0
    with boa.reverts("auction: ended"):
        buy(system, song, buyers[1], 0)


def test_batch_purchase_goes_through_the_same_rules(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    with boa.env.prank(buyers[0]):
        assert system.router.pay_batch([(song, START, PaymentType.ACCESS, 1)]) == START
    assert system.auction.holds_slot(song, buyers[0])
    with boa.env.prank(buyers[0]), boa.reverts("auction: already holds a slot"):
        system.router.pay_batch([(song, START, PaymentType.ACCESS, 1)])


# ------------------------------------------------- the auction a buyer saw


def test_auctions_are_numbered_per_song_from_one(system: System, artist: str, song: bytes) -> None:
    other = system.register("song-auction-2", AUCTION, artist)
    assert system.auction.auction_number(song) == 0
    create(system, artist, song)
    assert system.auction.auction_number(song) == 1
    assert system.auction.auction_number(other) == 0
    with boa.env.prank(artist):
        system.auction.end_auction(song)
    assert system.auction.auction_number(song) == 1  # the latest, also once ended
    create(system, artist, song)
    assert system.auction.auction_number(song) == system.auction.auction(song).number == 2


def test_repricing_under_a_waiting_buyer_reverts(
    system: System, artist: str, song: bytes, listener: str
) -> None:
    """The attack: a buyer sees auction 1 at 100 FLOW and sends a purchase offering up to 150;
    in the same block the artist ends it and re-creates it at 150. The purchase names auction 1,
    so it reverts and the buyer keeps their FLOW, their allowance and their chance to decide."""
    with boa.env.prank(listener):
        system.flow.faucet(1_000 * ONE)
        system.flow.approve(system.router.address, 150 * ONE)
    create(system, artist, song)
    seen = system.auction.auction_number(song)
    assert (seen, system.auction.current_price(song)) == (1, START)

    with boa.env.prank(artist):
        system.auction.end_auction(song)
    create(system, artist, song, start=150 * ONE)
    assert system.auction.current_price(song) == 150 * ONE

    before = snapshot(system, song, listener, artist)
    allowance = system.flow.allowance(listener, system.router.address)
    with boa.reverts("auction: auction changed"):
        buy(system, song, listener, 150 * ONE, number=seen)
    assert snapshot(system, song, listener, artist) == before
    assert system.flow.allowance(listener, system.router.address) == allowance == 150 * ONE
    assert not system.auction.holds_slot(song, listener)
    assert system.router.credits(artist) == 0

    # Shown the new auction, the buyer can choose to pay its price.
    assert buy(system, song, listener, 150 * ONE, number=2) == 150 * ONE
    assert system.auction.slot_of(song, listener) == (2, 1)


@pytest.mark.parametrize("number", [0, 2, 2**256 - 1])
def test_a_purchase_must_name_the_live_auction(
    system: System, song: bytes, buyers: list[str], live: int, number: int
) -> None:
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: auction changed"):
        buy(system, song, buyers[0], START, number=number)
    with boa.env.prank(buyers[0]), boa.reverts("auction: auction changed"):
        system.router.pay_batch([(song, START, PaymentType.ACCESS, number)])
    assert snapshot(system, song, buyers[0]) == before


def test_an_ended_auction_cannot_be_bought_from(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    with boa.env.prank(artist):
        system.auction.end_auction(song)
    before = snapshot(system, song, buyers[0])
    with boa.reverts("auction: ended"):
        buy(system, song, buyers[0], START, number=1)
    create(system, artist, song)  # replaced: the old number is refused as changed
    with boa.reverts("auction: auction changed"):
        buy(system, song, buyers[0], START, number=1)
    assert snapshot(system, song, buyers[0])[1:] == before[1:]


def test_quote_names_the_auction_or_takes_the_latest(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    assert system.router.quote(song, buyers[0], PaymentType.ACCESS, 1) == START
    assert system.router.quote(song, buyers[0], PaymentType.ACCESS, 0) == START
    with boa.reverts("auction: auction changed"):
        system.router.quote(song, buyers[0], PaymentType.ACCESS, 2)


# ------------------------------------------------------ streams and tips


def test_streaming_requires_a_slot(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    buyer = buyers[0]
    with boa.reverts("auction: no access"):
        system.router.quote(song, buyer, PaymentType.STREAM)
    before = snapshot(system, song, buyer)
    with boa.env.prank(buyer), boa.reverts("auction: no access"):
        system.router.pay(song, START, PaymentType.STREAM)
    assert snapshot(system, song, buyer) == before
    buy(system, song, buyer, START)
    assert system.router.quote(song, buyer, PaymentType.STREAM) == 0
    before = snapshot(system, song, buyer, artist)
    with boa.env.prank(buyer):
        assert system.router.pay(song, ONE, PaymentType.STREAM) == 0
    (payment,) = events(system.router, "Payment")
    assert snapshot(system, song, buyer, artist) == before  # a free play moves no tokens
    assert (payment.payment_type, payment.amount) == (PaymentType.STREAM, 0)


def test_access_is_permanent(
    system: System, artist: str, song: bytes, buyers: list[str], live: int
) -> None:
    buy(system, song, buyers[0], START)
    boa.env.time_travel(seconds=10 * 365 * DAY)
    assert system.router.is_authorized(song, buyers[0])
    with boa.env.prank(buyers[0]):
        assert system.router.pay(song, 0, PaymentType.STREAM) == 0


def test_tips_are_charged_in_full(system: System, artist: str, song: bytes, listener: str) -> None:
    system.fund(listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, 5 * ONE, PaymentType.TIP) == 5 * ONE  # no auction needed
    assert system.router.credits(artist) == net_of_fee(5 * ONE)
    assert system.router.quote(song, listener, PaymentType.TIP) == 1


@pytest.mark.parametrize(
    ("ptype", "amount", "reason"),
    [
        (PaymentType.TIP, 0, "auction: zero tip"),
        (PaymentType.DOWNLOAD, START, "auction: unsupported payment type"),
        (PaymentType.PATRONAGE, START, "auction: unsupported payment type"),
    ],
)
def test_unsupported_payments_revert(
    system: System, song: bytes, buyers: list[str], live: int, ptype: int, amount: int, reason: str
) -> None:
    before = snapshot(system, song, buyers[0])
    with boa.env.prank(buyers[0]), boa.reverts(reason):
        system.router.pay(song, amount, ptype)
    assert snapshot(system, song, buyers[0]) == before
    if ptype != PaymentType.TIP:
        with boa.reverts(reason):
            system.router.quote(song, buyers[0], ptype)


def test_only_the_router_may_charge(system: System, stranger: str, song: bytes, live: int) -> None:
    with boa.env.prank(stranger), boa.reverts("auction: caller is not the router"):
        system.auction.charge(song, stranger, START, PaymentType.ACCESS, 0)
    assert system.auction.auction(song).sold == 0


def test_constructor_needs_a_router_contract(stranger: str) -> None:
    with boa.reverts("auction: router is not a contract"):
        load("DutchAuction", stranger)


# ------------------------------------------------------------------ gas


def tx_gas(contract: Any) -> int:
    """Gas of the last call to `contract` as a whole transaction (refunds not deducted)."""
    computation = contract._computation
    calldata = bytes(computation.msg.data)
    intrinsic = 21_000 + sum(16 if b else 4 for b in calldata)
    return intrinsic + computation.get_gas_used()


def test_a_purchase_transaction_costs_at_most_110k_gas() -> None:
    # titanoboa keeps storage warm between calls; resetting that is only safe in an environment
    # without snapshots, so this runs in a fresh one where every measured purchase starts cold
    with boa.swap_env(boa.Env()):
        system = build_system(
            boa.env.generate_address("owner"), boa.env.generate_address("treasury")
        )
        artist = boa.env.generate_address("artist")
        buyers = [boa.env.generate_address(f"buyer{i}") for i in range(3)]
        song = system.register("gas auction", AUCTION, artist)
        create(system, artist, song, slots=3)
        for buyer in buyers:
            system.fund(buyer)
        # steady state: the artist and the treasury already hold credits (the router's first
        # credit to an address costs it a zero-to-non-zero write, whatever the strategy)
        with boa.env.prank(buyers[0]):
            system.router.pay(song, ONE, PaymentType.TIP)
        used = []
        for buyer in buyers:  # the first, a middle one, and the one that sells out
            boa.env.time_travel(seconds=DAY)
            boa.env.reset_gas_used()  # every account and slot cold, as in a new transaction
            buy(system, song, buyer, START)
            used.append(tx_gas(system.router))
    assert max(used) <= 110_000, used


# ----------------------------------------------------------- properties


@given(
    start=st.integers(min_value=1, max_value=MAX_PRICE),
    floor_fraction=st.fractions(min_value=0, max_value=1),
    duration=st.integers(min_value=1, max_value=MAX_TIME),
    times=st.lists(st.integers(min_value=0, max_value=2 * MAX_TIME), min_size=1, max_size=8),
)
@settings(max_examples=80, deadline=None)
def test_price_is_linear_bounded_and_non_increasing(
    system: System, artist: str, start: int, floor_fraction: Any, duration: int, times: list[int]
) -> None:
    floor = min(start - 1, int(start * floor_fraction))
    song = system.register("fuzzed auction", AUCTION, artist)
    t0 = now()
    create(system, artist, song, start=start, floor=floor, duration=duration)
    previous = start
    for elapsed in sorted(times):
        price = system.auction.price_at(song, t0 + elapsed)
        assert floor <= price <= start
        assert price <= previous
        assert price == linear_price(start, floor, duration, elapsed)
        previous = price


@given(
    start=st.integers(min_value=1, max_value=1_000 * ONE),
    floor_fraction=st.fractions(min_value=0, max_value=1),
    duration=st.integers(min_value=1, max_value=30 * DAY),
    elapsed_fraction=st.fractions(min_value=0, max_value=2),
    slack=st.integers(min_value=-(10**18), max_value=10**18),
)
@settings(max_examples=60, deadline=None)
def test_a_buyer_pays_exactly_the_price_or_nothing(
    system: System,
    artist: str,
    listener: str,
    start: int,
    floor_fraction: Any,
    duration: int,
    elapsed_fraction: Any,
    slack: int,
) -> None:
    floor = min(start - 1, int(start * floor_fraction))
    elapsed = int(duration * elapsed_fraction)
    song = system.register("fuzzed auction", AUCTION, artist)
    create(system, artist, song, start=start, floor=floor, duration=duration, slots=1)
    system.fund(listener, 2_000 * ONE)
    boa.env.time_travel(seconds=elapsed)
    price = linear_price(start, floor, duration, elapsed)
    offer = max(0, price + slack)
    before = snapshot(system, song, listener, artist)
    if elapsed >= duration or offer < price:
        reason = "auction: ended" if elapsed >= duration else "auction: price above maximum"
        with boa.reverts(reason):
            buy(system, song, listener, offer)
        assert snapshot(system, song, listener, artist) == before
        assert not system.router.is_authorized(song, listener)
        return
    assert buy(system, song, listener, offer) == price
    assert floor < price <= start
    assert system.flow.balanceOf(listener) == 2_000 * ONE - price
    assert system.router.credits(artist) == net_of_fee(price)
    assert system.router.credits(artist) + system.router.credits(system.treasury) == price
    assert system.flow.balanceOf(system.router.address) == price
    assert system.router.is_authorized(song, listener)
    state = system.auction.auction(song)
    assert (state.sold, state.revenue, state.clearing_price, state.live) == (1, price, price, False)

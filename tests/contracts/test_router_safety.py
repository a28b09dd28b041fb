"""The router's emergency and bounding rules: quarantining one strategy, the bound on a batch's
credits (its worst case measured against a 30M-gas block), and refusing short token transfers."""

from __future__ import annotations

from pathlib import Path

import boa
import pytest

from mycelix.chain.units import DAY, ONE, PaymentType
from mycelix.strategies.ids import strategy_id

from .conftest import MAX_UINT, System, load, salt

PPS = "pay-per-stream-v1"
GIFT = "gift-economy-v1"
AUCTION = "dutch-auction-v1"
PRICE = 10**16
FIXTURES = Path(__file__).parent / "fixtures"
BLOCK_GAS_LIMIT = 30_000_000


def state(system: System, song: bytes, *accounts: str) -> tuple:
    r = system.router
    return (
        system.flow.balanceOf(r.address),
        tuple(r.credits(a) for a in accounts),
        tuple(system.flow.balanceOf(a) for a in accounts),
        r.song_strategy(song),
        tuple(r.splits(song)),
    )


# ----------------------------------------------------------- quarantine


def test_quarantine_stops_every_payment_through_the_strategy(
    system: System, owner: str, artist: str, producer: str, listener: str, treasury: str
) -> None:
    first = system.register("first", PPS, artist)
    second = system.register("second", PPS, producer)
    gift_song = system.register("gift", GIFT, artist)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(first, PRICE, PaymentType.STREAM)
    with boa.env.prank(owner):
        system.router.quarantine_strategy(strategy_id(PPS))
    (log,) = system.router.get_logs()
    assert (type(log).__name__, log.strategy_id) == ("StrategyQuarantined", strategy_id(PPS))
    assert system.router.strategy_quarantined(strategy_id(PPS))
    for song in (first, second):
        before = state(system, song, artist, producer, listener, treasury)
        with boa.env.prank(listener), boa.reverts("router: strategy quarantined"):
            system.router.pay(song, PRICE, PaymentType.STREAM)
        with boa.env.prank(listener), boa.reverts("router: strategy quarantined"):
            system.router.pay_batch([(gift_song, 0, PaymentType.STREAM, 0), (song, PRICE, 0, 0)])
        with boa.reverts("router: strategy quarantined"):
            system.router.quote(song, listener, PaymentType.STREAM)
        assert state(system, song, artist, producer, listener, treasury) == before
    # Other strategies and withdrawals go on.
    with boa.env.prank(listener):
        assert system.router.pay(gift_song, ONE, PaymentType.TIP) == ONE
    with boa.env.prank(artist):
        assert system.router.withdraw() == (PRICE + ONE) * 99 // 100
    # It takes no new songs.
    with boa.env.prank(artist), boa.reverts("router: strategy quarantined"):
        system.router.register_song(salt("third"), strategy_id(PPS))
    with boa.env.prank(artist), boa.reverts("router: strategy quarantined"):
        system.router.change_strategy(gift_song, strategy_id(PPS))


def test_artists_move_songs_off_a_quarantined_strategy(
    system: System, owner: str, artist: str, listener: str
) -> None:
    song = system.register("single", PPS, artist)
    with boa.env.prank(owner):
        system.router.quarantine_strategy(strategy_id(PPS))
    with boa.env.prank(artist):
        system.router.change_strategy(song, strategy_id(GIFT))
    system.fund(listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, 0, PaymentType.STREAM) == 0
    assert system.router.is_authorized(song, listener)


def test_a_quarantined_strategy_grants_no_access(
    system: System, owner: str, artist: str, listener: str
) -> None:
    song = system.register("limited", AUCTION, artist)
    with boa.env.prank(artist):
        system.auction.create_auction(song, 10 * ONE, ONE, 0, DAY, 3)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, 10 * ONE, PaymentType.ACCESS, system.auction.auction(song).number)
    assert system.router.is_authorized(song, listener)
    with boa.env.prank(owner):
        system.router.quarantine_strategy(strategy_id(AUCTION))
    assert not system.router.is_authorized(song, listener)
    # Not even as an earlier strategy of the song: its word is not trusted while quarantined.
    with boa.env.prank(artist):
        system.router.change_strategy(song, strategy_id(PPS))
    assert not system.router.is_authorized(song, listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, PRICE, PaymentType.STREAM) == PRICE
    with boa.env.prank(owner):
        system.router.release_strategy(strategy_id(AUCTION))
    (log,) = system.router.get_logs()
    assert (type(log).__name__, log.strategy_id) == ("StrategyReleased", strategy_id(AUCTION))
    assert not system.router.strategy_quarantined(strategy_id(AUCTION))
    assert system.router.is_authorized(song, listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, PRICE, PaymentType.STREAM) == 0


def test_quarantine_is_owner_only_and_checked(system: System, owner: str, stranger: str) -> None:
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.quarantine_strategy(strategy_id(PPS))
    with boa.env.prank(owner), boa.reverts("router: unknown strategy"):
        system.router.quarantine_strategy(strategy_id("nope"))
    with boa.env.prank(owner), boa.reverts("router: strategy not quarantined"):
        system.router.release_strategy(strategy_id(PPS))
    assert not system.router.strategy_quarantined(strategy_id(PPS))
    with boa.env.prank(owner):
        system.router.quarantine_strategy(strategy_id(PPS))
    with boa.env.prank(owner), boa.reverts("router: strategy already quarantined"):
        system.router.quarantine_strategy(strategy_id(PPS))
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.release_strategy(strategy_id(PPS))
    with boa.env.prank(owner), boa.reverts("router: unknown strategy"):
        system.router.release_strategy(strategy_id("nope"))
    assert system.router.strategy_quarantined(strategy_id(PPS))
    # A quarantine keeps the enabled flag as it was.
    assert system.router.strategy_enabled(strategy_id(PPS))


# ---------------------------------------------------------- batch bound


def split_song(system: System, artist: str, name: str, recipients: list[str]) -> bytes:
    song = system.register(name, PPS, artist)
    n = len(recipients)
    bps = [10_000 - (n - 1) * (10_000 // n)] + [10_000 // n] * (n - 1)
    with boa.env.prank(artist):
        system.router.configure_splits(song, recipients, bps, [1] * n)
        system.pps.set_price(song, 100 * ONE)
    return song


def test_worst_case_batch_fits_well_inside_a_block(
    system: System, artist: str, listener: str
) -> None:
    """Every credit of the largest allowed batch goes to a fresh address (a zero-to-non-zero
    write each): 7 songs of 64 recipients and one of 56, 7 × 65 + 57 = 512 credits."""
    limit = system.router.MAX_BATCH_CREDITS()
    assert limit == 512
    fresh = iter(boa.env.generate_address(f"member {i}") for i in range(600))
    songs = [
        split_song(system, artist, f"wide {i}", [next(fresh) for _ in range(64)]) for i in range(7)
    ]
    songs.append(split_song(system, artist, "last", [next(fresh) for _ in range(56)]))
    system.fund(listener, 10_000 * ONE)
    with boa.env.prank(listener):
        system.flow.approve(system.router.address, MAX_UINT)
    requests = [(s, 100 * ONE, PaymentType.STREAM, 0) for s in songs]
    start = boa.env.get_gas_used()
    with boa.env.prank(listener):
        assert system.router.pay_batch(requests) == 800 * ONE
    # Execution gas, plus the intrinsic 21k and calldata at its dearest (16 gas a byte).
    gas = boa.env.get_gas_used() - start + 21_000 + 16 * 32 * 4 * len(requests)
    print(f"worst-case batch ({limit} fresh credits): {gas:,} gas")
    assert 0 < gas < BLOCK_GAS_LIMIT // 2


def test_a_batch_over_the_credit_bound_is_refused(
    system: System, artist: str, listener: str, treasury: str
) -> None:
    members = [boa.env.generate_address(f"member {i}") for i in range(64)]
    wide = split_song(system, artist, "wide", members)
    narrow = split_song(system, artist, "narrow", members[:57])
    system.fund(listener, 10_000 * ONE)
    before = state(system, wide, listener, treasury, *members)
    with boa.env.prank(listener), boa.reverts("router: batch too large"):
        system.router.pay_batch([(wide, 100 * ONE, 0, 0)] * 7 + [(narrow, 100 * ONE, 0, 0)])
    assert state(system, wide, listener, treasury, *members) == before
    # Exactly at the bound is fine (7 × 65 + 57 = 512).
    edge = split_song(system, artist, "edge", members[:56])
    with boa.env.prank(listener):
        system.router.pay_batch([(wide, 100 * ONE, 0, 0)] * 7 + [(edge, 100 * ONE, 0, 0)])
    assert system.router.credits(members[63]) > 0


def test_free_plays_do_not_count_toward_the_bound(
    system: System, artist: str, listener: str
) -> None:
    gift_song = system.register("gift", GIFT, artist)
    system.fund(listener)
    with boa.env.prank(listener):
        assert system.router.pay_batch([(gift_song, 0, PaymentType.STREAM, 0)] * 128) == 0


# ------------------------------------------------------- short transfers


@pytest.fixture
def fee_token(owner: str) -> object:
    with boa.env.prank(owner):
        return boa.load(str(FIXTURES / "FeeOnTransferToken.vy"), 0)


def test_router_refuses_a_short_transfer(
    fee_token, owner: str, treasury: str, artist: str, listener: str
) -> None:
    with boa.env.prank(owner):
        router = load("EconomicStrategyRouter", fee_token.address, treasury)
        pps = load("PayPerStream", router.address)
        router.register_strategy(strategy_id(PPS), pps.address)
    with boa.env.prank(artist):
        song = router.register_song(salt("single"), strategy_id(PPS))
    with boa.env.prank(listener):
        fee_token.faucet(ONE)
        fee_token.approve(router.address, MAX_UINT)
    for pay in (
        lambda: router.pay(song, PRICE, PaymentType.STREAM),
        lambda: router.pay_batch([(song, PRICE, PaymentType.STREAM, 0)]),
    ):
        with boa.env.prank(listener), boa.reverts("router: short transfer"):
            pay()
    assert fee_token.balanceOf(listener) == ONE
    assert fee_token.balanceOf(router.address) == 0
    assert fee_token.allowance(listener, router.address) == MAX_UINT
    assert router.credits(artist) == 0
    assert router.credits(treasury) == 0


def test_a_split_song_follows_its_strategy_quarantine_and_artist(
    system: System, owner: str, artist: str, producer: str, listener: str, stranger: str
) -> None:
    # Once split, a song's slot names its strategy and the artist moves out: strategy changes,
    # quarantine and transfers must still reach it.
    song = system.register("split single", PPS, artist)
    with boa.env.prank(artist):
        system.router.configure_splits(song, [producer, artist], [7_000, 3_000], [2, 0])
    assert system.router.song_artist(song) == artist
    assert system.router.song_strategy(song) == system.pps.address
    assert system.router.is_payee(song, artist) and system.router.is_payee(song, producer)
    system.fund(listener)
    with boa.env.prank(owner):
        system.router.quarantine_strategy(strategy_id(PPS))
    with boa.env.prank(listener), boa.reverts("router: strategy quarantined"):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    with boa.env.prank(owner):
        system.router.release_strategy(strategy_id(PPS))
    with boa.env.prank(listener):
        assert system.router.pay(song, PRICE, PaymentType.STREAM) == PRICE
    # Moved to the gift strategy: a stream is free there, and a tip goes through it.
    with boa.env.prank(stranger), boa.reverts("router: caller is not the artist"):
        system.router.change_strategy(song, strategy_id(GIFT))
    with boa.env.prank(artist):
        system.router.change_strategy(song, strategy_id(GIFT))
    assert system.router.song_strategy(song) == system.gift.address
    with boa.env.prank(listener):
        assert system.router.pay(song, PRICE, PaymentType.STREAM) == 0
        system.router.pay(song, ONE, PaymentType.TIP)
    (payment,) = [e for e in system.router.get_logs() if type(e).__name__ == "Payment"]
    assert payment.strategy == system.gift.address
    # Transferred: the new artist is the artist of record and alone may act as it.
    system.transfer(song, artist, stranger)
    assert system.router.song_artist(song) == stranger
    assert system.router.is_payee(song, stranger)
    assert not system.router.is_payee(song, listener)
    with boa.env.prank(artist), boa.reverts("router: caller is not the artist"):
        system.router.change_strategy(song, strategy_id(PPS))
    with boa.env.prank(stranger):
        system.router.change_strategy(song, strategy_id(PPS))
    with boa.env.prank(listener):
        assert system.router.pay(song, PRICE, PaymentType.STREAM) == PRICE
    assert system.router.splits(song) == [(producer, 7_000, 2), (artist, 3_000, 0)]

"""Every SDK method, on the embedded chain and on anvil, including each failure becoming the
right exception with the contract's reason."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from mycelix.chain.units import DAY, HOUR, ONE
from mycelix.config import Settings
from mycelix.sdk import (
    ChainConnectionError,
    ContractRevert,
    InvalidInput,
    PaymentType,
    Role,
    Split,
    Tier,
    connect,
)

from .conftest import Actors

PPS, GIFT, PATRONAGE, AUCTION = (
    "pay-per-stream-v1",
    "gift-economy-v1",
    "patronage-v1",
    "dutch-auction-v1",
)
PRICE = 10**16


def test_register_and_read_a_song(actors: Actors) -> None:
    song = actors.song()
    assert actors.artist.song_artist(song) is None
    assert actors.artist.song_strategy(song) is None
    actors.artist.register_song(song, PPS)
    assert actors.listener.song_artist(song) == actors.artist.address
    assert actors.listener.song_strategy(song) == PPS
    assert actors.listener.splits(song) == [Split(actors.artist.address, 10_000, Role.ARTIST)]
    with pytest.raises(ContractRevert, match="router: song already registered") as info:
        actors.artist.register_song(song, PPS)
    assert info.value.reason == "router: song already registered"


def test_unknown_strategy_is_the_routers_refusal(actors: Actors) -> None:
    with pytest.raises(ContractRevert, match="router: unknown strategy") as info:
        actors.artist.register_song(actors.song(), "no-such-strategy")
    assert info.value.reason == "router: unknown strategy"
    assert info.value.function == "register_song"


def test_nobody_registers_for_someone_else(actors: Actors) -> None:
    with pytest.raises(ContractRevert, match="router: caller is not the artist") as info:
        actors.stranger.register_song(actors.song(), PPS, artist=actors.artist.address)
    assert info.value.reason == "router: caller is not the artist"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: a.artist.register_song("not-a-valid-bytes32", PPS), "Invalid song ID format"),
        (
            lambda a: a.artist.register_song(a.song(), PPS, artist="0x" + "00" * 20),
            "Artist address cannot be zero",
        ),
        (lambda a: a.listener.pay(a.song(), 0.01, PaymentType.STREAM), "not float"),
        (lambda a: a.listener.tip(a.song(), 0), "Amount must be greater than 0"),
        (
            lambda a: a.listener.pay(a.song(), Decimal("0.0000000000000000001"), PaymentType.TIP),
            "more than 18 decimals",
        ),
        (lambda a: a.listener.pay(a.song(), -1, PaymentType.TIP), "negative"),
        (lambda a: a.listener.pay(a.song(), 10**30, PaymentType.TIP), "Insufficient balance"),
        (
            lambda a: a.artist.configure_gift(
                a.song(), cgc_per_listen=1, repeat_multiplier_bps=9_000
            ),
            "Multiplier must be >= 10000",
        ),
        (
            lambda a: a.artist.configure_splits(a.song(), [Split(a.artist.address, 9_000)]),
            "Basis points must sum to 10000",
        ),
        (
            lambda a: a.artist.configure_splits(a.song(), [Split("0x" + "00" * 20, 10_000)]),
            "Recipient cannot be zero address",
        ),
        (lambda a: a.artist.configure_splits(a.song(), []), "1 to 64 recipients"),
        (lambda a: a.artist.configure_patronage([]), "1 to 8 tiers"),
        (lambda a: a.artist.set_price(a.song(), 0), "price must be greater than 0"),
        (lambda a: a.listener.credits("nobody"), "not an Ethereum address"),
    ],
)
def test_bad_input_is_refused_before_sending(actors: Actors, call, message: str) -> None:
    block = actors.chain.w3.eth.block_number
    with pytest.raises(InvalidInput, match=re.escape(message)) as info:
        call(actors)
    assert message in str(info.value)
    assert actors.chain.w3.eth.block_number == block


def test_pay_per_stream_end_to_end(actors: Actors) -> None:
    song = actors.song("pps")
    actors.artist.register_song(song, PPS)
    actors.artist.configure_splits(
        song,
        [Split(actors.artist.address, 7_000), Split(actors.producer.address, 3_000, Role.PRODUCER)],
    )
    actors.artist.set_price(song, Decimal("0.02"))
    assert actors.listener.quote(song, PaymentType.STREAM) == 2 * PRICE
    fee, shares = actors.listener.preview_splits(song, 2 * PRICE)
    assert fee == 2 * PRICE // 100
    assert [s.recipient for s in shares] == [actors.artist.address, actors.producer.address]
    assert sum(s.amount for s in shares) == 2 * PRICE - fee
    artist_before = actors.artist.credits()
    producer_before = actors.producer.credits()
    balance = actors.listener.flow_balance()
    receipt = actors.listener.stream(song)
    assert receipt["status"] == 1
    assert actors.listener.flow_balance() == balance - 2 * PRICE
    assert actors.artist.credits() - artist_before == shares[0].amount
    assert actors.producer.credits() - producer_before == shares[1].amount
    assert not actors.listener.is_authorized(song)
    with pytest.raises(ContractRevert, match="pps: payment below price"):
        actors.listener.stream(song, max_price=PRICE)
    with pytest.raises(ContractRevert, match="router: splits already configured"):
        actors.artist.configure_splits(song, [Split(actors.artist.address, 10_000)])
    with pytest.raises(ContractRevert, match="pps: caller is not the artist"):
        actors.stranger.set_price(song, 1)


def test_batch_stream_and_withdraw(actors: Actors) -> None:
    songs = [actors.song("album") for _ in range(3)]
    for s in songs:
        actors.artist.register_song(s, PPS)
    before = actors.artist.credits()
    actors.listener.batch_stream(songs)
    assert actors.artist.credits() - before == 3 * (PRICE - PRICE // 100)
    owed = actors.artist.credits()
    balance = actors.artist.flow_balance()
    assert actors.artist.withdraw() == owed
    assert actors.artist.flow_balance() == balance + owed
    assert actors.artist.credits() == 0
    with pytest.raises(ContractRevert, match="router: nothing to withdraw"):
        actors.artist.withdraw()
    with pytest.raises(InvalidInput, match="1 to 128"):
        actors.listener.batch_stream([])


def test_gift_economy_streams_free_and_rewards_cgc(actors: Actors) -> None:
    song = actors.song("gift")
    actors.artist.register_song(song, GIFT)
    actors.artist.configure_gift(
        song,
        cgc_per_listen=Decimal(1),
        early_bonus=Decimal(10),
        early_threshold=100,
        repeat_multiplier_bps=15_000,
    )
    config = actors.listener.gift_config(song)
    assert (config.cgc_per_listen, config.early_bonus, config.configured) == (ONE, 10 * ONE, True)
    cgc = actors.listener.cgc_balance()
    flow = actors.listener.flow_balance()
    actors.listener.stream(song)
    assert actors.listener.flow_balance() == flow
    assert actors.listener.cgc_balance() - cgc == 11 * ONE
    profile = actors.listener.gift_profile(song)
    assert (profile.listens, profile.early) == (1, True)
    assert actors.listener.is_authorized(song)
    before = actors.artist.credits()
    actors.listener.tip(song, Decimal(5))
    assert actors.artist.credits() - before == 5 * ONE * 99 // 100
    with pytest.raises(ContractRevert, match="gift: caller is not the artist"):
        actors.stranger.configure_gift(song, cgc_per_listen=0)


def test_patronage_join_renew_cancel(actors: Actors) -> None:
    song = actors.song("patron channel")
    actors.artist.register_song(song, PATRONAGE)
    actors.artist.configure_patronage(
        [Tier("supporter", 5 * ONE), Tier("inner circle", Decimal(20), exclusive=True)],
        min_commitment=0,
    )
    assert actors.patron.tiers(actors.artist.address)[1] == Tier("inner circle", 20 * ONE, True)
    actors.artist.set_patron_only(song)
    assert not actors.patron.is_authorized(song)
    with pytest.raises(ContractRevert, match="patronage: patrons only"):
        actors.patron.stream(song, max_price=0)
    assert actors.patron.quote(song, PaymentType.PATRONAGE, 1) == 20 * ONE
    actors.patron.become_patron(song, tier=1)
    state = actors.patron.patron(actors.artist.address)
    assert state.active and state.tier == 1 and state.level == 1
    assert actors.patron.is_authorized(song)
    actors.patron.stream(song)
    with pytest.raises(ContractRevert, match="patronage: too early to renew"):
        actors.patron.renew_patronage(song, tier=1)
    actors.chain.advance_time(30 * DAY)
    actors.patron.renew_patronage(song, tier=1)
    assert actors.patron.patron(actors.artist.address).paid_until == state.paid_until + 30 * DAY
    actors.patron.cancel_patronage(actors.artist.address)
    assert actors.patron.patron(actors.artist.address).cancelled


def test_dutch_auction_sells_slots(actors: Actors) -> None:
    song = actors.song("limited")
    actors.artist.register_song(song, AUCTION)
    actors.artist.create_auction(
        song, start_price=Decimal(100), floor_price=Decimal(10), duration=7 * DAY, slots=2
    )
    auction = actors.buyer.auction(song)
    assert (auction.slots, auction.sold, auction.live) == (2, 0, True)
    price = actors.buyer.auction_price(song)
    assert 10 * ONE <= price <= 100 * ONE
    with pytest.raises(ContractRevert, match="auction: price above maximum"):
        actors.buyer.buy_slot(song, max_price=Decimal(1))
    actors.chain.advance_time(HOUR)
    actors.buyer.buy_slot(song, max_price=Decimal(100))
    assert actors.buyer.is_authorized(song)
    assert actors.buyer.auction(song).sold == 1
    with pytest.raises(ContractRevert, match="auction: already holds a slot"):
        actors.buyer.buy_slot(song, max_price=Decimal(100))
    actors.artist.end_auction(song)
    assert not actors.buyer.auction(song).live


def test_change_and_transfer_song(actors: Actors) -> None:
    song = actors.song("moving")
    actors.artist.register_song(song, PPS)
    actors.artist.change_strategy(song, GIFT)
    assert actors.artist.song_strategy(song) == GIFT
    actors.artist.transfer_song(song, actors.producer.address)
    assert actors.artist.song_artist(song) == actors.producer.address
    with pytest.raises(ContractRevert, match="router: caller is not the artist"):
        actors.artist.change_strategy(song, PPS)


def test_fee_and_events(actors: Actors) -> None:
    assert actors.listener.protocol_fee_bps() == 100
    song = actors.song("evented")
    start = actors.chain.w3.eth.block_number + 1
    actors.artist.register_song(song, PPS)
    actors.listener.stream(song)
    events = list(actors.listener.events(from_block=start))
    names = [(e.contract, e.name) for e in events]
    assert ("EconomicStrategyRouter", "SongRegistered") in names
    payment = next(e for e in events if e.name == "Payment")
    assert payment.args["song_id"] == song
    assert payment.args["amount"] == PRICE
    assert payment.args["fee"] == PRICE // 100
    assert payment.block_number >= start and payment.tx_hash.startswith("0x")
    all_events = list(actors.listener.events())
    assert all_events[0].name in {
        "RoleMinterChanged",
        "OwnershipTransferred",
        "TreasuryChanged",
        "FeeChanged",
    }
    assert [(e.block_number, e.log_index) for e in all_events] == sorted(
        (e.block_number, e.log_index) for e in all_events
    )


def test_unreachable_node_is_a_connection_error(tmp_path) -> None:
    from mycelix.chain.anvil import free_port

    settings = Settings(data_dir=tmp_path, rpc_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ChainConnectionError, match="cannot reach the chain"), connect(settings):
        pass

"""Every SDK method, on the embedded chain and on anvil, including each failure becoming the
right exception with the contract's reason."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
from eth_utils import keccak

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
    content_salt,
    salt_for,
    song_id_for,
)
from mycelix.storage.cid import cid_of
from mycelix.strategies.ids import strategy_id

from .conftest import Actors

PPS, GIFT, PATRONAGE, AUCTION = (
    "pay-per-stream-v1",
    "gift-economy-v1",
    "patronage-v1",
    "dutch-auction-v1",
)
PRICE = 10**16


def test_register_and_read_a_song(actors: Actors) -> None:
    salt = actors.salt()
    song = song_id_for(actors.artist.address, salt)
    assert actors.artist.song_id_of(salt) == song
    router = actors.listener.router.functions
    assert bytes(router.song_id_of(actors.artist.address, salt).call()) == song
    assert actors.artist.song_artist(song) is None
    assert actors.artist.song_strategy(song) is None
    actors.artist.register_song(salt, PPS)
    assert actors.listener.song_artist(song) == actors.artist.address
    assert actors.listener.song_strategy(song) == PPS
    assert actors.listener.splits(song) == [Split(actors.artist.address, 10_000, Role.ARTIST)]
    assert actors.listener.configured_splits(song) == []
    with pytest.raises(ContractRevert, match="router: song already registered") as info:
        actors.artist.register_song(salt, PPS)
    assert info.value.reason == "router: song already registered"


def test_salts_from_text_and_from_an_audio_cid() -> None:
    assert salt_for("Night Bus") == keccak(b"Night Bus")
    audio = b"RIFF some recording"
    assert content_salt(cid_of(audio)) == hashlib.sha256(audio).digest()
    with pytest.raises(InvalidInput, match="not an audio CID"):
        content_salt("bafy-not-a-cid")


def test_a_squatter_cannot_take_an_artists_upload_id(actors: Actors) -> None:
    # The id of the artist's upload is public (the API lists described songs with it), and so
    # is its content hash. The attacker registers the same salt: they get an id of their own.
    salt = content_salt(cid_of(f"a recording {actors.salt().hex()}".encode()))
    upload = song_id_for(actors.artist.address, salt)
    start = actors.chain.w3.eth.block_number + 1
    actors.stranger.register_song(salt, PPS)
    assert actors.stranger.song_id_of(salt) != upload
    assert actors.listener.song_artist(actors.stranger.song_id_of(salt)) == actors.stranger.address
    assert actors.listener.song_artist(upload) is None
    actors.artist.register_song(salt, GIFT)
    assert actors.listener.song_artist(upload) == actors.artist.address
    assert actors.listener.song_strategy(upload) == GIFT
    listed = {
        bytes(e.args["song_id"]): e.args["artist"]  # type: ignore[call-overload]
        for e in actors.listener.events(from_block=start)
        if e.name == "SongRegistered"
    }
    assert listed[upload] == actors.artist.address
    assert [e for e in listed.values()].count(actors.artist.address) == 1


def test_unknown_strategy_is_the_routers_refusal(actors: Actors) -> None:
    with pytest.raises(ContractRevert, match="router: unknown strategy") as info:
        actors.artist.register_song(actors.salt(), "no-such-strategy")
    assert info.value.reason == "router: unknown strategy"
    assert info.value.function == "register_song"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: a.artist.register_song("not-a-valid-bytes32", PPS), "Invalid salt"),
        (lambda a: a.artist.register_song(b"\x00" * 32, PPS), "the salt must not be zero"),
        (lambda a: a.artist.stream("not-a-valid-bytes32"), "Invalid song ID format"),
        (lambda a: a.artist.offer_song(a.song(), "0x" + "00" * 20), "zero address"),
        (lambda a: a.artist.offer_song(a.song(), a.artist.address), "its own artist"),
        (lambda a: a.buyer.buy_slot(a.song(), 1, auction_number=0), "auction numbers start at 1"),
        *[
            (
                lambda a, v=value: a.listener.pay(a.song(), Decimal(v), PaymentType.TIP),
                "must be a finite number",
            )
            for value in ("Infinity", "-Infinity", "NaN", "sNaN")
        ],
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
    song = actors.register(PPS, "pps")
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
    songs = [actors.register(PPS, "album") for _ in range(3)]
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
    song = actors.register(GIFT, "gift")
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
    song = actors.register(PATRONAGE, "patron channel")
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
    song = actors.register(AUCTION, "limited")
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


def test_change_strategy_and_transfer_with_consent(actors: Actors) -> None:
    song = actors.register(PPS, "moving")
    actors.artist.change_strategy(song, GIFT)
    assert actors.artist.song_strategy(song) == GIFT
    actors.artist.offer_song(song, actors.producer.address)
    assert actors.listener.pending_artist(song) == actors.producer.address
    assert actors.listener.song_artist(song) == actors.artist.address  # nothing changed yet
    actors.producer.accept_song(song)
    assert actors.artist.song_artist(song) == actors.producer.address
    assert actors.listener.pending_artist(song) is None
    with pytest.raises(ContractRevert, match="router: caller is not the artist"):
        actors.artist.change_strategy(song, PPS)


def test_a_pending_transfer_can_be_cancelled(actors: Actors) -> None:
    song = actors.register(PPS, "changed mind")
    actors.artist.offer_song(song, actors.producer.address)
    actors.artist.cancel_song_transfer(song)
    assert actors.listener.pending_artist(song) is None
    block = actors.chain.w3.eth.block_number
    with pytest.raises(ContractRevert, match="router: no pending transfer"):
        actors.artist.cancel_song_transfer(song)
    with pytest.raises(ContractRevert, match="router: caller is not the pending artist"):
        actors.producer.accept_song(song)
    assert actors.chain.w3.eth.block_number == block
    assert actors.listener.song_artist(song) == actors.artist.address


def test_a_song_cannot_be_planted_on_an_artist(actors: Actors) -> None:
    # The attacker registers a song, keeps 100 % of it through splits and offers it to a
    # well-known artist: nothing changes until the artist accepts, and the artist, shown the
    # splits they would inherit, accepts only those.
    planted = actors.register(PPS, "planted", by=actors.stranger)
    actors.stranger.configure_splits(planted, [Split(actors.stranger.address, 10_000)])
    actors.stranger.offer_song(planted, actors.artist.address)
    assert actors.listener.song_artist(planted) == actors.stranger.address
    assert actors.artist.configured_splits(planted) == [
        Split(actors.stranger.address, 10_000, Role.ARTIST)
    ]
    block = actors.chain.w3.eth.block_number
    with pytest.raises(ContractRevert, match="router: splits changed"):
        actors.artist.accept_song(planted, splits=[])  # what a clean song would carry
    assert actors.chain.w3.eth.block_number == block
    assert actors.listener.song_artist(planted) == actors.stranger.address
    assert actors.listener.pending_artist(planted) == actors.artist.address


def test_fee_and_events(actors: Actors) -> None:
    assert actors.listener.protocol_fee_bps() == 100
    start = actors.chain.w3.eth.block_number + 1
    song = actors.register(PPS, "evented")
    actors.listener.stream(song)
    events = list(actors.listener.events(from_block=start))
    names = [(e.contract, e.name) for e in events]
    assert ("EconomicStrategyRouter", "SongRegistered") in names
    registered = next(e for e in events if e.name == "SongRegistered")
    assert registered.args["song_id"] == song
    assert registered.args["salt"] != b"\x00" * 32
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
    from tests.support.anvil import free_port

    settings = Settings(data_dir=tmp_path, rpc_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ChainConnectionError, match="cannot reach the chain"), connect(settings):
        pass


def test_a_price_raised_after_the_quote_is_not_paid(actors: Actors) -> None:
    song = actors.register(PPS, "repriced")
    shown = actors.listener.quote(song, PaymentType.STREAM)
    actors.artist.set_price(song, 900 * ONE)  # between the listener's quote and payment
    balance, credits = actors.listener.flow_balance(), actors.artist.credits()
    allowance = actors.listener.allowance()
    block = actors.chain.w3.eth.block_number
    with pytest.raises(ContractRevert, match="pps: payment below price"):
        actors.listener.stream(song, max_price=shown)
    with pytest.raises(InvalidInput, match="above the maximum"):
        actors.listener.stream(song)  # the live quote, 900 FLOW, is above max_payment
    cautious = actors.listener.as_account(actors.chain.dev_accounts[2])
    cautious.max_payment = PRICE
    with pytest.raises(InvalidInput, match="above the maximum"):
        cautious.batch_stream([song])
    assert actors.chain.w3.eth.block_number == block
    assert actors.listener.flow_balance() == balance
    assert actors.artist.credits() == credits
    assert actors.listener.allowance() == allowance


def test_approves_only_what_the_payment_pulls(actors: Actors) -> None:
    song = actors.register(PPS, "exact approval")
    actors.listener.approve(0)
    balance = actors.listener.flow_balance()
    actors.listener.stream(song, max_price=10 * PRICE)  # offers 10x, is charged the price
    assert actors.listener.flow_balance() == balance - PRICE
    assert actors.listener.allowance() == 0


def test_a_refused_patronage_leaves_no_approve_behind(actors: Actors) -> None:
    song = actors.register(PATRONAGE, "refused patronage")
    actors.artist.configure_patronage([Tier("supporter", 5 * ONE)])
    patron = actors.patron
    patron.become_patron(song, tier=0)
    patron.approve(0)
    balance, block = patron.flow_balance(), actors.chain.w3.eth.block_number
    with pytest.raises(ContractRevert, match="patronage: too early to renew"):
        patron.renew_patronage(song, tier=0)
    assert actors.chain.w3.eth.block_number == block  # no approve mined
    assert patron.allowance() == 0
    assert patron.flow_balance() == balance


def test_a_purchase_names_the_auction_it_was_built_for(actors: Actors) -> None:
    song = actors.register(AUCTION, "re-created")
    terms = {"start_price": Decimal(50), "duration": DAY, "slots": 3}
    actors.artist.create_auction(song, floor_price=Decimal(5), **terms)  # type: ignore[arg-type]
    seen = actors.buyer.auction(song).number
    assert seen == actors.buyer.auction_number(song) >= 1
    # The artist ends and re-creates it, repricing it under the waiting buyer.
    actors.artist.end_auction(song)
    actors.artist.create_auction(song, floor_price=Decimal(40), **terms)  # type: ignore[arg-type]
    balance, credits = actors.buyer.flow_balance(), actors.artist.credits()
    with pytest.raises(ContractRevert, match=r"auction: (auction changed|not live)"):
        actors.buyer.buy_slot(song, max_price=Decimal(50), auction_number=seen)
    assert actors.buyer.flow_balance() == balance
    assert actors.artist.credits() == credits
    assert not actors.buyer.is_authorized(song)
    actors.buyer.buy_slot(song, max_price=Decimal(50))  # the auction it sees now
    assert actors.buyer.is_authorized(song)


def test_settings_accept_a_str_data_dir(tmp_path) -> None:
    settings = Settings(data_dir=str(tmp_path / "as-text"))  # type: ignore[arg-type]
    assert settings.chain_dir == tmp_path / "as-text" / "chain"
    with connect(settings, deploy=True, max_payment=Decimal("0.5")) as (sdk, chain):
        assert sdk.protocol_fee_bps() == 100
        assert sdk.as_account(chain.dev_accounts[1]).max_payment == ONE // 2


def test_access_sold_outlives_a_strategy_change(actors: Actors) -> None:
    song = actors.register(PATRONAGE, "moved off patronage")
    actors.artist.configure_patronage([Tier("supporter", 5 * ONE)])
    actors.buyer.become_patron(song, tier=0)
    actors.artist.change_strategy(song, PPS)
    assert actors.buyer.is_authorized(song)
    assert actors.buyer.quote(song, PaymentType.STREAM) == 0
    balance, credits = actors.buyer.flow_balance(), actors.artist.credits()
    actors.buyer.stream(song)  # free: the patron's paid period outlives the change
    assert actors.buyer.flow_balance() == balance
    assert actors.artist.credits() == credits
    assert not actors.stranger.is_authorized(song)
    assert actors.stranger.quote(song, PaymentType.STREAM) == PRICE


def test_a_quarantined_strategy_takes_no_payment_and_songs_move_off_it(actors: Actors) -> None:
    song = actors.register(PPS, "quarantined")
    actors.listener.approve(0)
    owner = actors.owner
    pps = strategy_id(PPS)
    owner.sender.transact(owner.router.functions.quarantine_strategy(pps))
    try:
        balance, block = actors.listener.flow_balance(), actors.chain.w3.eth.block_number
        with pytest.raises(ContractRevert, match="router: strategy quarantined"):
            actors.listener.stream(song, max_price=PRICE)
        assert actors.chain.w3.eth.block_number == block  # no approve mined either
        assert actors.listener.flow_balance() == balance
        assert actors.listener.allowance() == 0
        actors.artist.change_strategy(song, GIFT)  # the artist moves the song off it
        actors.listener.stream(song)
    finally:
        owner.sender.transact(owner.router.functions.release_strategy(pps))

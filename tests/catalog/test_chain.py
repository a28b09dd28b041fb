"""Indexer checkpoint and block hashes, and the rollback of a reorg across all tables."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mycelix.catalog.models import AuctionSlot, Credit, Payment, Play
from mycelix.catalog.repositories import (
    AuctionCreatedIn,
    AuctionRepository,
    ChainStateRepository,
    EarningsRepository,
    PatronEventIn,
    PatronRepository,
    PaymentEvent,
    PaymentRepository,
    PlayRepository,
    Share,
    SongRepository,
    SplitSpec,
)

from .factories import GIFT, PPS, T0, address, bytes32, make_song, ref

ARTIST, LISTENER, PATRON = address("artist"), address("listener"), address("patron")


def test_checkpoint_get_and_set(db: Session) -> None:
    repo = ChainStateRepository(db)
    assert repo.checkpoint("router") is None
    repo.set_checkpoint("router", 10, bytes32("block:10"))
    repo.set_checkpoint("router", 11, bytes.fromhex(bytes32("block:11")[2:]))
    checkpoint = repo.checkpoint("router")
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.block_hash) == (11, bytes32("block:11"))
    assert repo.checkpoint("strategies") is None


def test_blocks_detect_and_prune(db: Session) -> None:
    repo = ChainStateRepository(db)
    for n in range(1, 6):
        repo.record_block(n, bytes32(f"block:{n}"), bytes32(f"block:{n - 1}"), T0)
    head = repo.head()
    assert head is not None and head.number == 5
    # a new block 6 whose parent is not our block 5 reveals a reorg
    assert repo.block_hash(5) != bytes32("other:5")
    repo.record_block(5, bytes32("other:5"), bytes32("block:4"))  # replaced, not duplicated
    assert repo.block_hash(5) == bytes32("other:5")
    assert repo.prune_blocks(below=3) == 2
    assert repo.block_hash(2) is None and repo.max_block() == 5


def _index_block(db: Session, song: str, block: int) -> None:
    """Everything the indexer could write for one block."""
    at = T0 + timedelta(days=block)
    payment = PaymentRepository(db).record(
        PaymentEvent(song, LISTENER, PPS, 0, 100, 0, ref(block, 0, at=at)), [Share(ARTIST, 100)]
    )
    assert payment is not None
    PlayRepository(db).record(
        song, played_at=at, listener=LISTENER, payment_id=payment.id, block_number=block
    )
    PaymentRepository(db).record_withdrawal(ARTIST, 10, ref(block, 1, at=at))
    state = ChainStateRepository(db)
    state.record_block(block, bytes32(f"block:{block}"), bytes32(f"block:{block - 1}"), at)
    state.set_checkpoint("router", block, bytes32(f"block:{block}"))


def test_rollback_to_undoes_everything_above_the_block(db: Session) -> None:
    songs = SongRepository(db)
    song = make_song(db, artist=ARTIST)
    late = bytes32("registered late")
    songs.register(
        song, artist=ARTIST, strategy_id=PPS, strategy_name="pay-per-stream-v1", ref=ref(1)
    )
    for block in range(1, 4):
        _index_block(db, song, block)
    auctions = AuctionRepository(db)
    auctions.record_created(
        AuctionCreatedIn(song, 1, 10**18, 10**17, T0, T0 + timedelta(days=30), 3, ref(2, 5))
    )
    auctions.record_slot(song, 1, slot=0, buyer=LISTENER, price=9 * 10**17, ref=ref(3, 5))
    PatronRepository(db).record_event(
        PatronEventIn(ARTIST, PATRON, "joined", ref(2, 6), tier=0, paid_until=T0)
    )
    for block in range(4, 7):
        _index_block(db, song, block)
    songs.register(
        late, artist=ARTIST, strategy_id=GIFT, strategy_name="gift-economy-v1", ref=ref(5, 7)
    )
    songs.set_splits(song, [SplitSpec(ARTIST, 10_000)], block_number=5)
    auctions.record_slot(song, 1, slot=1, buyer=PATRON, price=8 * 10**17, ref=ref(5, 5))
    auctions.record_ended(
        song,
        1,
        reason=0,
        sold=2,
        revenue=17 * 10**17,
        clearing_price=8 * 10**17,
        ended_at=T0,
        block_number=6,
    )
    PatronRepository(db).record_event(
        PatronEventIn(ARTIST, PATRON, "cancelled", ref(6, 6), access_until=T0)
    )

    counts = ChainStateRepository(db).rollback_to(3, bytes32("block:3"))

    assert counts["payments"] == 3 and counts["plays"] == 3 and counts["withdrawals"] == 3
    assert db.scalar(select(func.max(Payment.block_number))) == 3
    assert db.scalar(select(func.max(Credit.block_number))) == 3
    assert db.scalar(select(func.count()).select_from(Play)) == 3
    assert EarningsRepository(db).for_recipient(ARTIST) == 300
    assert PaymentRepository(db).balance(ARTIST) == 300 - 30
    assert songs.require(song).play_count == 3
    assert songs.require(song).splits == []
    assert songs.require(late).registration_block is None
    assert songs.require(song).registration_block == 1
    auction = auctions.require(song, 1)
    assert auction.live and auction.sold == 1 and auction.clearing_price == 9 * 10**17
    assert db.scalar(select(func.count()).select_from(AuctionSlot)) == 1
    patron = PatronRepository(db).get(ARTIST, PATRON)
    assert patron is not None and patron.status == "active"
    state = ChainStateRepository(db)
    checkpoint = state.checkpoint("router")
    assert checkpoint is not None and checkpoint.block_number == 3
    assert checkpoint.block_hash == bytes32("block:3")
    assert state.max_block() == 3
    # re-indexing the canonical chain from there works as the first time
    for block in range(4, 7):
        _index_block(db, song, block)
    assert EarningsRepository(db).for_recipient(ARTIST) == 600


def test_a_recorded_free_play_counts_as_a_paid_play(db: Session) -> None:
    """A stream payment of 0 is a play the chain accepted (a freemium listener's free play):
    it opens the song's gated audio like a charged one; other payers and types do not."""
    song = make_song(db, "free first")
    freemium = bytes32("freemium-v1")
    at = T0 + timedelta(days=1)
    PaymentRepository(db).record(
        PaymentEvent(song, LISTENER, freemium, 0, 0, 0, ref(1, 0, at=at)), [Share(ARTIST, 0)]
    )
    payments = PaymentRepository(db)
    assert payments.paid_since(song, LISTENER, at - timedelta(minutes=1), [0, 4])
    assert not payments.paid_since(song, LISTENER, at + timedelta(seconds=1), [0, 4])
    assert not payments.paid_since(song, PATRON, at - timedelta(minutes=1), [0, 4])
    assert not payments.paid_since(song, LISTENER, at - timedelta(minutes=1), [2])

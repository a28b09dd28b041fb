"""Payments and credits: idempotent by (tx hash, log index), exact, reorg-deletable."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mycelix.catalog.models import Credit, Payment, Play
from mycelix.catalog.repositories import (
    InvalidCursor,
    PaymentEvent,
    PaymentRepository,
    PlayRepository,
    Share,
    SongRepository,
)
from mycelix.catalog.repositories.payments import PaidShares
from mycelix.catalog.repositories.plays import PaidPlay
from mycelix.catalog.types import MAX_UINT256

from .factories import PPS, address, make_song, ref

ARTIST, PRODUCER, TREASURY, LISTENER = (
    address("artist"),
    address("producer"),
    address("treasury"),
    address("listener"),
)


def event(
    song_id: str, amount: int, fee: int, block: int, log: int = 0, tx: str = ""
) -> PaymentEvent:
    return PaymentEvent(
        song_id=song_id,
        payer=LISTENER,
        strategy_id=PPS,
        payment_type=0,
        amount=amount,
        fee=fee,
        ref=ref(block, log, tx=tx),
    )


def test_replaying_a_payment_inserts_nothing(db: Session) -> None:
    repo = PaymentRepository(db)
    song = make_song(db)
    shares = [Share(ARTIST, 693), Share(PRODUCER, 297)]
    paid = event(song, 1000, 10, block=5, log=3, tx="batch")
    first = repo.record(paid, shares, treasury=TREASURY)
    assert first is not None
    for _ in range(3):
        assert repo.record(paid, shares, treasury=TREASURY) is None
    assert db.scalar(select(func.count()).select_from(Payment)) == 1
    credits = {(c.kind, c.recipient): c.amount for c in repo.credits_of(first.id)}
    assert credits == {
        ("split", ARTIST.lower()): 693,
        ("split", PRODUCER.lower()): 297,
        ("fee", TREASURY.lower()): 10,
    }
    # another log of the same transaction is another payment (batch payments)
    second = repo.record(event(song, 1000, 10, 5, log=4, tx="batch"), shares, treasury=TREASURY)
    assert second is not None and second.tx_hash == first.tx_hash
    assert repo.get_by_log(first.tx_hash, 3) == first
    assert repo.get_by_log(first.tx_hash, 4) == second
    assert repo.get_by_log(first.tx_hash, 5) is None


def test_credits_must_add_up(db: Session) -> None:
    repo = PaymentRepository(db)
    song = make_song(db)
    with pytest.raises(ValueError, match="net"):
        repo.record(event(song, 1000, 10, 1), [Share(ARTIST, 989)], treasury=TREASURY)
    with pytest.raises(ValueError, match="treasury"):
        repo.record(event(song, 1000, 10, 1), [Share(ARTIST, 990)])
    with pytest.raises(ValueError, match="fee"):
        repo.record(event(song, 10, 11, 1), [], treasury=TREASURY)
    assert db.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_recipient_named_twice_gets_one_credit(db: Session) -> None:
    repo = PaymentRepository(db)
    song = make_song(db)
    payment = repo.record(
        event(song, 100, 0, 1), [Share(ARTIST, 60), Share(ARTIST.lower(), 40), Share(PRODUCER, 0)]
    )
    assert payment is not None
    assert [(c.recipient, c.amount) for c in repo.credits_of(payment.id)] == [(ARTIST.lower(), 100)]


def test_free_play_payment_has_no_credits(db: Session) -> None:
    repo = PaymentRepository(db)
    payment = repo.record(event(make_song(db), 0, 0, 1), [])
    assert payment is not None and repo.credits_of(payment.id) == []


def test_balance_is_credits_minus_withdrawals(db: Session) -> None:
    repo = PaymentRepository(db)
    song = make_song(db)
    big = MAX_UINT256 - 5
    repo.record(event(song, big, 0, 1), [Share(ARTIST, big)])
    repo.record(event(song, 5, 0, 2), [Share(ARTIST, 5)])
    assert repo.balance(ARTIST) == MAX_UINT256
    assert repo.record_withdrawal(ARTIST, big, ref(3))
    assert not repo.record_withdrawal(ARTIST, big, ref(3))  # replay
    assert repo.balance(ARTIST) == 5
    assert repo.balance(PRODUCER) == 0


def test_history_pages_newest_first(db: Session) -> None:
    repo = PaymentRepository(db)
    song = make_song(db)
    for block in range(1, 8):
        for log in range(2):
            repo.record(event(song, 10, 0, block, log), [Share(ARTIST, 10)])
    seen, cursor = [], None
    while True:
        page = repo.history(payer=LISTENER, limit=3, cursor=cursor)
        seen += [(p.block_number, p.log_index) for p in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen, reverse=True) and len(seen) == 14 == len(set(seen))
    assert len(repo.history(song_id=song, limit=50).items) == 14
    assert repo.history(payer=PRODUCER).items == []
    with pytest.raises(InvalidCursor, match="malformed cursor"):
        repo.history(cursor="garbage")


def test_reorg_deletes_everything_above_block(db: Session) -> None:
    repo = PaymentRepository(db)
    plays = PlayRepository(db)
    song = make_song(db)
    for block in range(1, 11):
        payment = repo.record(event(song, 100, 1, block), [Share(ARTIST, 99)], treasury=TREASURY)
        assert payment is not None
        plays.record(
            song,
            played_at=payment.paid_at,
            listener=LISTENER,
            payment_id=payment.id,
            block_number=block,
        )
        repo.record_withdrawal(ARTIST, 50, ref(block, 1))
    plays.record(song, played_at=ref(1).block_time)  # off chain: survives reorgs
    assert plays.delete_above(6) == 4
    counts = repo.delete_above(6)
    assert counts == {"credits": 8, "payments": 4, "withdrawals": 4}
    assert db.scalar(select(func.max(Payment.block_number))) == 6
    assert db.scalar(select(func.max(Credit.block_number))) == 6
    assert db.scalar(select(func.count()).select_from(Play)) == 7
    db.expire_all()
    assert SongRepository(db).require(song).play_count == 7
    assert repo.balance(ARTIST) == 6 * 99 - 6 * 50
    # replaying the canonical blocks afterwards restores them exactly once
    for block in range(7, 11):
        assert repo.record(event(song, 100, 1, block), [Share(ARTIST, 99)], treasury=TREASURY)
    assert db.scalar(select(func.count()).select_from(Payment)) == 10


def test_play_for_a_payment_is_recorded_once(db: Session) -> None:
    song = make_song(db)
    payment = PaymentRepository(db).record(event(song, 0, 0, 1), [])
    assert payment is not None
    plays = PlayRepository(db)
    assert plays.record(song, played_at=payment.paid_at, payment_id=payment.id, block_number=1)
    assert not plays.record(song, played_at=payment.paid_at, payment_id=payment.id, block_number=1)
    db.expire_all()
    assert SongRepository(db).require(song).play_count == 1 == plays.count(song_id=song)


def test_recording_many_is_recording_each(db: Session) -> None:
    """The indexer's bulk path (`record_many`, `insert_rows`) stores what `record` stores:
    addresses in one spelling, amounts beyond 2**63 exact, the fee credited to the treasury,
    and a payment recorded before left alone and reported as None."""
    repo = PaymentRepository(db)
    song = make_song(db)
    big = MAX_UINT256 - 7
    before = repo.record(
        event(song, 1000, 10, block=7, log=0), [Share(ARTIST, 990)], treasury=TREASURY
    )
    assert before is not None
    batch = [
        PaidShares(event(song, 1000, 10, block=7, log=0), [Share(ARTIST, 990)], TREASURY),
        PaidShares(
            event(song, big, 0, block=8, log=1, tx="bulk"),
            [Share(ARTIST, big - 3), Share(PRODUCER.lower(), 3)],
            None,
        ),
        PaidShares(
            event(song, 500, 5, block=8, log=2, tx="bulk"), [Share(PRODUCER, 495)], TREASURY
        ),
    ]
    ids = repo.record_many(batch)
    assert ids[0] is None  # recorded already
    assert ids[1] is not None and ids[2] is not None
    rows = {
        (c.payment_id, c.kind, c.recipient): c.amount
        for c in db.scalars(select(Credit).where(Credit.payment_id.in_(ids[1:])))
    }
    assert rows == {
        (ids[1], "split", ARTIST.lower()): big - 3,
        (ids[1], "split", PRODUCER.lower()): 3,
        (ids[2], "split", PRODUCER.lower()): 495,
        (ids[2], "fee", TREASURY.lower()): 5,
    }
    stored = db.get(Payment, ids[1])
    assert stored is not None and stored.amount == big and stored.payer == LISTENER.lower()
    assert repo.record_many(batch) == [None, None, None]
    assert db.scalar(select(func.count()).select_from(Payment).where(Payment.song_id == song)) == 3


def test_plays_of_many_payments_move_the_play_counts_once(db: Session) -> None:
    payments, plays, songs = PaymentRepository(db), PlayRepository(db), SongRepository(db)
    song = make_song(db)
    ids = payments.record_many(
        [
            PaidShares(event(song, 100, 0, block=9, log=n), [Share(ARTIST, 100)], None)
            for n in range(3)
        ]
    )
    paid = [
        PaidPlay(song, LISTENER, payment_id, 9, ref(9).block_time)
        for payment_id in ids
        if payment_id is not None
    ]
    assert plays.record_paid(paid) == 3
    assert plays.record_paid(paid) == 0  # the payment's play exists: nothing moves
    db.expire_all()
    assert songs.require(song).play_count == 3
    assert plays.count(song_id=song) == 3

"""Earnings come from credits, are exact for uint256 amounts, and group by UTC day the
same way on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from mycelix.catalog.repositories import (
    ChainRef,
    DayCount,
    EarningsFilter,
    EarningsRepository,
    PaymentEvent,
    PaymentRepository,
    Share,
)
from mycelix.catalog.types import MAX_UINT256

from .factories import GIFT, PPS, address, bytes32, make_song, ref

ARTIST, PRODUCER, SINGER, TREASURY, LISTENER = (
    address(r) for r in ("artist", "producer", "singer", "treasury", "listener")
)


def distribute(net: int, splits: list[tuple[str, int]]) -> list[Share]:
    """The router's rule: all but the first get net*bps//10000, the first the rest."""
    shares = [Share(r, net * bps // 10_000) for r, bps in splits[1:]]
    return [Share(splits[0][0], net - sum(s.amount for s in shares)), *shares]


def pay(
    db: Session,
    song: str,
    amount: int,
    *,
    fee: int = 0,
    splits: list[tuple[str, int]] | None = None,
    strategy: str = PPS,
    at: datetime | None = None,
    block: int = 1,
    log: int = 0,
) -> None:
    event = PaymentEvent(
        song_id=song,
        payer=LISTENER,
        strategy_id=strategy,
        payment_type=0,
        amount=amount,
        fee=fee,
        ref=ref(block, log, at=at),
    )
    shares = distribute(amount - fee, splits or [(ARTIST, 10_000)])
    assert PaymentRepository(db).record(event, shares, treasury=TREASURY) is not None


def test_sums_are_exact_beyond_uint256(db: Session) -> None:
    song = make_song(db)
    for block in range(1, 11):
        pay(db, song, MAX_UINT256, block=block)
    repo = EarningsRepository(db)
    expected = 10 * MAX_UINT256  # 79 digits: wider than any single column value
    assert repo.for_recipient(ARTIST) == expected
    assert repo.total() == expected
    assert repo.by_song() == {song: expected}
    assert repo.by_recipient() == {ARTIST.lower(): expected}
    assert repo.by_strategy() == {PPS: expected}
    assert sum(d.value for d in repo.by_day()) == expected


def test_splits_are_honoured(db: Session) -> None:
    repo = EarningsRepository(db)
    song = make_song(db, artist=ARTIST)
    other = make_song(db, artist=SINGER, strategy="gift-economy-v1")
    splits = [(ARTIST, 7000), (PRODUCER, 2000), (SINGER, 1000)]
    big = 2**200 + 12345
    pay(db, song, big, fee=big // 100, splits=splits, block=1)
    pay(db, song, 1001, fee=10, splits=splits, block=2)
    pay(db, other, 2**70, splits=[(SINGER, 5000), (ARTIST, 5000)], strategy=GIFT, block=3)
    net1, net2 = big - big // 100, 991
    to_producer = net1 * 2000 // 10_000 + net2 * 2000 // 10_000
    to_singer_on_song = net1 * 1000 // 10_000 + net2 * 1000 // 10_000
    to_artist_on_song = net1 + net2 - to_producer - to_singer_on_song
    assert repo.by_recipient() == {
        ARTIST.lower(): to_artist_on_song + 2**69,
        PRODUCER.lower(): to_producer,
        SINGER.lower(): to_singer_on_song + 2**69,
    }
    assert repo.by_song() == {song: net1 + net2, other: 2**70}
    assert repo.by_song(EarningsFilter(recipient=PRODUCER)) == {song: to_producer}
    # song revenue of an artist's catalogue, whoever was credited
    assert repo.total(EarningsFilter(artist=ARTIST)) == net1 + net2
    assert repo.by_strategy(EarningsFilter(recipient=ARTIST)) == {
        PPS: to_artist_on_song,
        GIFT: 2**69,
    }
    assert repo.total(EarningsFilter(kind="fee")) == big // 100 + 10
    assert repo.total(EarningsFilter(kind=None)) == big + 1001 + 2**70
    assert repo.top_songs(limit=1) == [(song, net1 + net2)]


def test_top_songs_order_numerically(db: Session) -> None:
    songs = [make_song(db) for _ in range(4)]
    for i, (song, amount) in enumerate(zip(songs, [9, 10, 2**64, 2**255], strict=True)):
        pay(db, song, amount, block=i + 1)
    ranked = EarningsRepository(db).top_songs(limit=10)
    assert [v for _, v in ranked] == [2**255, 2**64, 10, 9]


def test_days_are_utc_days_on_both_databases(db: Session, backend: str) -> None:
    song = make_song(db)
    moments = [
        datetime(2025, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2025, 1, 1, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2025, 1, 2, 0, 0, tzinfo=UTC),
        # 20:30 on Jan 2 in New York is 01:30 on Jan 3 UTC
        datetime(2025, 1, 2, 20, 30, tzinfo=ZoneInfo("America/New_York")),
        datetime(2025, 1, 5, 12, 0, tzinfo=UTC),
    ]
    for i, at in enumerate(moments):
        pay(db, song, 10**18 * (i + 1), at=at, block=i + 1)
    if backend == "postgresql":
        db.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14
    repo = EarningsRepository(db)
    expected = [
        DayCount(date(2025, 1, 1), 3 * 10**18),
        DayCount(date(2025, 1, 2), 3 * 10**18),
        DayCount(date(2025, 1, 3), 4 * 10**18),
        DayCount(date(2025, 1, 5), 5 * 10**18),
    ]
    assert repo.by_day() == expected
    # half-open ranges: [Jan 2, Jan 5) holds Jan 2 and Jan 3 only
    window = EarningsFilter(
        since=datetime(2025, 1, 2, tzinfo=UTC), until=datetime(2025, 1, 5, tzinfo=UTC)
    )
    assert repo.by_day(window) == expected[1:3]
    assert repo.total(window) == 7 * 10**18


ROLES = [ARTIST, PRODUCER, SINGER, address("engineer")]

payments = st.lists(
    st.tuples(
        st.integers(0, MAX_UINT256),  # amount
        st.integers(0, 500),  # fee bps
        st.lists(st.sampled_from(ROLES), min_size=1, max_size=4),  # recipients
        st.lists(st.integers(1, 100), min_size=4, max_size=4),  # weights
        st.integers(0, 30 * 24 * 3600),  # seconds after the start
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payments=payments)
def test_earnings_equal_python_sums_of_credits(db: Session, payments: list[Any]) -> None:
    savepoint = db.begin_nested()
    try:
        song = make_song(db)
        start = datetime(2025, 2, 1, tzinfo=UTC)
        per_recipient: dict[str, int] = defaultdict(int)
        per_day: dict[date, int] = defaultdict(int)
        repo = PaymentRepository(db)
        for i, (amount, fee_bps, recipients, weights, offset) in enumerate(payments):
            fee = amount * fee_bps // 10_000
            used = weights[: len(recipients)]
            bps = [w * 10_000 // sum(used) for w in used]
            bps[0] += 10_000 - sum(bps)
            shares = distribute(amount - fee, list(zip(recipients, bps, strict=True)))
            at = start + timedelta(seconds=offset)
            event = PaymentEvent(
                song_id=song,
                payer=LISTENER,
                strategy_id=PPS,
                payment_type=0,
                amount=amount,
                fee=fee,
                ref=ChainRef(i + 1, bytes32(f"b{i}"), bytes32(f"t{i}"), 0, at),
            )
            assert repo.record(event, shares, treasury=TREASURY) is not None
            for share in shares:
                if share.amount:
                    per_recipient[share.recipient.lower()] += share.amount
                    per_day[at.date()] += share.amount
        earnings = EarningsRepository(db)
        assert earnings.by_recipient() == dict(per_recipient)
        for recipient, total in per_recipient.items():
            assert earnings.for_recipient(recipient) == total
        assert earnings.by_day() == [DayCount(d, v) for d, v in sorted(per_day.items()) if v]
        assert earnings.total() == sum(per_recipient.values())
    finally:
        savepoint.rollback()

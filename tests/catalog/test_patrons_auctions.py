"""Patronage projections and Dutch auctions, idempotent and reorg-safe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from mycelix.catalog.repositories import (
    AuctionCreatedIn,
    AuctionRepository,
    NotFound,
    PatronEventIn,
    PatronRepository,
)

from .factories import T0, address, make_song, ref

ARTIST, PATRON, FAN, LISTENER = (address(r) for r in ("artist", "patron", "fan", "listener"))
MONTH = timedelta(days=30)


def joined(patron: str, block: int, tier: int = 1) -> PatronEventIn:
    return PatronEventIn(
        ARTIST,
        patron,
        "joined",
        ref(block),
        tier=tier,
        amount=5 * 10**18,
        started_at=T0,
        paid_until=T0 + MONTH,
    )


def test_patron_lifecycle(db: Session) -> None:
    repo = PatronRepository(db)
    assert repo.record_event(joined(PATRON, 1))
    assert not repo.record_event(joined(PATRON, 1))  # replay
    assert repo.record_event(
        PatronEventIn(
            ARTIST,
            PATRON,
            "renewed",
            ref(2),
            tier=2,
            level=2,
            amount=10**18,
            started_at=T0,
            paid_until=T0 + 2 * MONTH,
        )
    )
    patron = repo.get(ARTIST, PATRON)
    assert patron is not None
    assert (patron.tier, patron.level, patron.status) == (2, 2, "active")
    assert patron.started_at == T0 and patron.paid_until == T0 + 2 * MONTH
    repo.record_event(joined(FAN, 3))
    assert repo.count_active(ARTIST, T0 + MONTH + timedelta(days=1)) == 1
    assert [p.patron for p in repo.of_artist(ARTIST)] == sorted([PATRON.lower(), FAN.lower()])
    assert repo.record_event(
        PatronEventIn(ARTIST, PATRON, "cancelled", ref(4), access_until=T0 + MONTH)
    )
    patron = repo.get(ARTIST, PATRON)
    assert patron is not None and patron.status == "cancelled"
    assert repo.of_artist(ARTIST, active_at=T0 + MONTH + timedelta(days=1)) == []
    assert [p.artist for p in repo.of_patron(PATRON)] == [ARTIST.lower()]
    # reorg: the cancellation and the fan's joining never happened
    assert repo.delete_above(2) == 2
    patron = repo.get(ARTIST, PATRON)
    assert patron is not None and patron.status == "active" and patron.tier == 2
    assert repo.get(ARTIST, FAN) is None


def test_patron_events_are_validated(db: Session) -> None:
    repo = PatronRepository(db)
    with pytest.raises(ValueError, match="unknown patron event kind 'paused'"):
        repo.record_event(PatronEventIn(ARTIST, PATRON, "paused", ref(1)))
    with pytest.raises(ValueError, match="a joined event needs tier and paid_until"):
        repo.record_event(PatronEventIn(ARTIST, PATRON, "joined", ref(1)))
    with pytest.raises(ValueError, match="a cancelled event needs access_until"):
        repo.record_event(PatronEventIn(ARTIST, PATRON, "cancelled", ref(1)))


def test_auction_slots_and_end(db: Session) -> None:
    song = make_song(db)
    repo = AuctionRepository(db)
    created = AuctionCreatedIn(
        song, 1, 2**100, 2**90, T0, T0 + timedelta(days=1), slots=2, ref=ref(1)
    )
    auction = repo.record_created(created)
    assert auction is not None and auction.live and auction.sold == 0
    assert repo.record_created(created) is None
    assert repo.live(T0 + timedelta(hours=1)) == [auction]
    assert repo.live(T0 + timedelta(days=2)) == []
    assert repo.record_slot(song, 1, slot=0, buyer=LISTENER, price=2**99, ref=ref(2))
    assert not repo.record_slot(song, 1, slot=0, buyer=LISTENER, price=2**99, ref=ref(2))
    assert repo.record_slot(song, 1, slot=1, buyer=FAN, price=2**98, ref=ref(3))
    auction = repo.require(song, 1)
    assert (auction.sold, auction.revenue, auction.clearing_price) == (2, 2**99 + 2**98, 2**98)
    repo.record_ended(
        song,
        1,
        reason=1,
        sold=2,
        revenue=2**99 + 2**98,
        clearing_price=2**98,
        ended_at=T0 + timedelta(hours=2),
        block_number=3,
    )
    assert not repo.require(song, 1).live
    assert repo.holds_slot(song, FAN.lower()) and not repo.holds_slot(song, PATRON)
    assert [s.buyer for s in repo.slots(auction.id)] == [LISTENER.lower(), FAN.lower()]
    assert [a.number for a in repo.of_song(song)] == [1]
    with pytest.raises(NotFound, match=r"auction 2 of song 0x[0-9a-f]{64} not found"):
        repo.record_slot(song, 2, slot=0, buyer=FAN, price=1, ref=ref(4))
    with pytest.raises(ValueError, match="floor price must be below start price"):
        repo.record_created(AuctionCreatedIn(song, 2, 5, 5, T0, T0, 1, ref(5)))


def test_auction_reorg(db: Session) -> None:
    song = make_song(db)
    repo = AuctionRepository(db)
    repo.record_created(AuctionCreatedIn(song, 1, 100, 10, T0, T0 + MONTH, 5, ref(1)))
    repo.record_slot(song, 1, slot=0, buyer=LISTENER, price=90, ref=ref(2))
    repo.record_slot(song, 1, slot=1, buyer=FAN, price=80, ref=ref(3))
    repo.record_ended(
        song,
        1,
        reason=2,
        sold=2,
        revenue=170,
        clearing_price=80,
        ended_at=T0 + timedelta(days=1),
        block_number=4,
    )
    repo.record_created(AuctionCreatedIn(song, 2, 100, 10, T0, T0 + MONTH, 5, ref(5)))
    counts = repo.delete_above(2)
    assert counts == {"auction_slots": 1, "auctions": 1, "auctions_reopened": 1}
    auction = repo.require(song, 1)
    assert auction.live and auction.ended_at is None
    assert (auction.sold, auction.revenue, auction.clearing_price) == (1, 90, 90)
    assert repo.get(song, 2) is None
    repo.delete_above(0)
    assert repo.get(song, 1) is None

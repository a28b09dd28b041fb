"""Patronage: the contract's events, and each (artist, patron)'s current state.

Patronage state changes in place (renewals, cancellations), and a reorg cannot "delete
above block N" an update. So the chain's events are kept (``patron_events``, append-only
and idempotent by tx hash + log index) and ``patrons`` is a projection of them, rebuilt
for a pair whenever one of its events is added or removed. A pair has a handful of events
per year, so rebuilding it is cheap.

"Active" is time-dependent (paid periods lapse), so it is not stored: ``access_until``
is, and queries compare it with the time they are asked about. The contract's grace
period and loyalty rules stay the contract's: the catalogue records what it emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import Patron, PatronEvent
from ..sqlfuncs import insert_ignoring
from ..types import check_amount, normalize_address, normalize_bytes32, utc
from .common import ChainRef

KINDS = ("joined", "renewed", "cancelled")


@dataclass(frozen=True)
class PatronEventIn:
    """A decoded PatronJoined / PatronRenewed / PatronCancelled event."""

    artist: str
    patron: str
    kind: str
    ref: ChainRef
    tier: int | None = None
    level: int | None = None
    amount: int | None = None
    song_id: str | bytes | None = None
    started_at: datetime | None = None
    paid_until: datetime | None = None
    access_until: datetime | None = None


class PatronRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record_event(self, event: PatronEventIn) -> bool:
        """Store an event and update the pair's projection; False for a replay."""
        if event.kind not in KINDS:
            raise ValueError(f"unknown patron event kind {event.kind!r}")
        if event.kind != "cancelled" and (event.tier is None or event.paid_until is None):
            raise ValueError(f"a {event.kind} event needs tier and paid_until")
        if event.kind == "cancelled" and event.access_until is None:
            raise ValueError("a cancelled event needs access_until")
        ref = event.ref

        def opt_utc(value: datetime | None) -> datetime | None:
            return utc(value) if value is not None else None

        inserted = self.session.execute(
            insert_ignoring(self.session, PatronEvent, "tx_hash", "log_index")
            .values(
                artist=normalize_address(event.artist),
                patron=normalize_address(event.patron),
                kind=event.kind,
                song_id=normalize_bytes32(event.song_id) if event.song_id else None,
                tier=event.tier,
                level=event.level,
                amount=check_amount(event.amount) if event.amount is not None else None,
                started_at=opt_utc(event.started_at),
                paid_until=opt_utc(event.paid_until),
                access_until=opt_utc(event.access_until),
                block_number=ref.block_number,
                block_hash=ref.block_hash,
                tx_hash=ref.tx_hash,
                log_index=ref.log_index,
                occurred_at=ref.block_time,
            )
            .returning(PatronEvent.id)
        ).scalar_one_or_none()
        if inserted is None:
            return False
        self._project(event.artist, event.patron)
        return True

    def _project(self, artist: str, patron: str) -> Patron | None:
        """Rebuild the (artist, patron) row from its events in chain order."""
        artist, patron = normalize_address(artist), normalize_address(patron)
        events = self.session.scalars(
            select(PatronEvent)
            .where(PatronEvent.artist == artist, PatronEvent.patron == patron)
            .order_by(PatronEvent.block_number, PatronEvent.log_index)
        ).all()
        row = self.session.get(Patron, (artist, patron))
        if not events or events[0].kind == "cancelled":
            if row is not None:
                self.session.delete(row)
                self.session.flush()
            return None
        if row is None:
            row = Patron(artist=artist, patron=patron)
            self.session.add(row)
        for ev in events:  # fields were checked by record_event
            if ev.kind == "cancelled":
                assert ev.access_until is not None
                row.status = "cancelled"
                row.access_until = ev.access_until
            else:
                assert ev.tier is not None and ev.paid_until is not None
                row.status = "active"
                row.tier = ev.tier
                row.level = ev.level or 1
                if ev.kind == "joined" or ev.started_at is not None:
                    row.started_at = ev.started_at or ev.occurred_at
                row.paid_until = ev.paid_until
                row.access_until = ev.paid_until
            row.updated_block = ev.block_number
        self.session.flush()
        return row

    def get(self, artist: str, patron: str) -> Patron | None:
        return self.session.get(Patron, (normalize_address(artist), normalize_address(patron)))

    def of_artist(
        self, artist: str, *, active_at: datetime | None = None, limit: int = 100
    ) -> list[Patron]:
        """An artist's patrons (with access at `active_at` if given), longest-standing
        first."""
        stmt = select(Patron).where(Patron.artist == normalize_address(artist))
        if active_at is not None:
            stmt = stmt.where(Patron.access_until >= utc(active_at))
        stmt = stmt.order_by(Patron.started_at, Patron.patron).limit(limit)
        return list(self.session.scalars(stmt))

    def of_patron(self, patron: str) -> list[Patron]:
        """Whom a listener supports."""
        stmt = (
            select(Patron)
            .where(Patron.patron == normalize_address(patron))
            .order_by(Patron.started_at, Patron.artist)
        )
        return list(self.session.scalars(stmt))

    def count_active(self, artist: str, at: datetime) -> int:
        stmt = select(func.count()).where(
            Patron.artist == normalize_address(artist), Patron.access_until >= utc(at)
        )
        return int(self.session.scalar(stmt) or 0)

    def delete_above(self, block_number: int) -> int:
        """Reorg: drop events above `block_number` and rebuild the pairs they touched."""
        pairs = self.session.execute(
            select(PatronEvent.artist, PatronEvent.patron)
            .where(PatronEvent.block_number > block_number)
            .distinct()
        ).all()
        self.session.execute(
            delete(PatronEvent)
            .where(PatronEvent.block_number > block_number)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        for artist, patron in pairs:
            self._project(artist, patron)
        return len(pairs)

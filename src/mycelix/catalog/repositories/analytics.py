"""Product analytics events (page views, plays started, wizard steps, ...).

Kept in the catalogue so a self-hosted node needs no third-party analytics: no IP
address, no user agent, only what the event names. `purge_before` is the retention knob.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from ..models import AnalyticsEvent
from ..sqlfuncs import utc_day
from ..types import normalize_address, normalize_bytes32, utc, utcnow
from .common import DayCount, day_counts

MAX_NAME = 64


class AnalyticsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        name: str,
        properties: dict[str, Any] | None = None,
        *,
        song_id: str | bytes | None = None,
        session_id: str | None = None,
        listener: str | None = None,
        occurred_at: datetime | None = None,
    ) -> AnalyticsEvent:
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"event name must be 1..{MAX_NAME} characters")
        event = AnalyticsEvent(
            name=name,
            properties=dict(properties or {}),
            song_id=normalize_bytes32(song_id) if song_id else None,
            session_id=session_id,
            listener=normalize_address(listener) if listener else None,
            occurred_at=utc(occurred_at) if occurred_at else utcnow(),
        )
        self.session.add(event)
        self.session.flush()
        return event

    @staticmethod
    def _range(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if since is not None:
            conditions.append(AnalyticsEvent.occurred_at >= utc(since))
        if until is not None:
            conditions.append(AnalyticsEvent.occurred_at < utc(until))
        return conditions

    def counts_by_name(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> dict[str, int]:
        stmt = (
            select(AnalyticsEvent.name, func.count())
            .where(*self._range(since, until))
            .group_by(AnalyticsEvent.name)
        )
        return {name: int(n) for name, n in self.session.execute(stmt)}

    def by_day(
        self,
        name: str,
        *,
        song_id: str | bytes | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[DayCount]:
        """Occurrences of event `name` per UTC day, oldest first."""
        day = utc_day(AnalyticsEvent.occurred_at)
        conditions = [AnalyticsEvent.name == name, *self._range(since, until)]
        if song_id is not None:
            conditions.append(AnalyticsEvent.song_id == normalize_bytes32(song_id))
        stmt = select(day, func.count()).where(*conditions).group_by(day)
        return day_counts(self.session.execute(stmt))

    def recent(self, *, name: str | None = None, limit: int = 100) -> list[AnalyticsEvent]:
        stmt = select(AnalyticsEvent)
        if name is not None:
            stmt = stmt.where(AnalyticsEvent.name == name)
        stmt = stmt.order_by(AnalyticsEvent.occurred_at.desc(), AnalyticsEvent.id.desc())
        return list(self.session.scalars(stmt.limit(limit)))

    def purge_before(self, before: datetime) -> int:
        """Delete events older than `before` (retention); returns how many."""
        result: Any = self.session.execute(
            delete(AnalyticsEvent)
            .where(AnalyticsEvent.occurred_at < utc(before))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)

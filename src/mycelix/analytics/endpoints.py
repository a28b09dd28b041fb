"""Product analytics: `POST /api/analytics/events` (the web app's event sink) and
`GET /api/analytics/summary` (per-song counts by event and day, for the song's artist).

Self-hosted and private by construction: no IP address, no user agent, no third party.
Event names come from a small allow-list, properties are a bounded JSON object, and the
stored time is the server's (a client's clock is kept as the `client_time` property only,
so nobody can backdate events into another day's figures). A signed-in sender's address is
kept with the event; anonymous events are accepted too.

The summary is for a song's artist only: page views and plays of a song are the artist's
business, not the public's.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from mycelix.api.deps import (
    CurrentAddress,
    OptionalAddress,
    PlatformDep,
    ReadSession,
    rate_limit,
    write,
)
from mycelix.api.errors import APIError
from mycelix.api.params import UtcTime
from mycelix.catalog.repositories import AnalyticsRepository, SongRepository
from mycelix.schemas import SongId

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

EventName = Literal[
    "page_view",
    "search",
    "play_start",
    "play_pause",
    "play_end",
    "seek",
    "share",
    "wizard_step",
    "upload_start",
    "upload_done",
    "wallet_connect",
    "tip_click",
    "patron_click",
    "bid_click",
    "client_error",
    "withdraw",
    "payment",
    "tip",
    "subscribe",
    "purchase",
]
EVENT_NAMES: tuple[str, ...] = get_args(EventName)
MAX_PROPERTIES = 32
MAX_PROPERTY_BYTES = 2_048
MAX_BATCH = 100
SUMMARY_MAX_DAYS = 366


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _bounded(props: dict[str, Any]) -> dict[str, Any]:
    if len(props) > MAX_PROPERTIES:
        raise ValueError(f"at most {MAX_PROPERTIES} properties")
    if any(not 1 <= len(k) <= 64 for k in props):
        raise ValueError("property names are 1 to 64 characters")
    size = len(json.dumps(props, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PROPERTY_BYTES:
        raise ValueError(f"properties take {size} bytes as JSON; at most {MAX_PROPERTY_BYTES}")
    if _has_nul(props):  # PostgreSQL refuses NUL in text and JSON
        raise ValueError("NUL characters are not allowed")
    return props


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: EventName
    song_id: SongId | None = None
    properties: Annotated[dict[str, Any], AfterValidator(_bounded)] = Field(
        default_factory=dict,
        description=f"A JSON object of at most {MAX_PROPERTIES} keys and "
        f"{MAX_PROPERTY_BYTES} bytes.",
    )
    session_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A client-made session id."
    )
    client_time: datetime | None = Field(
        default=None, description="The client's clock; stored as a property, not as the time."
    )


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class AcceptedOut(BaseModel):
    accepted: int


class DayCounts(BaseModel):
    day: date
    counts: dict[str, int]


class SummaryOut(BaseModel):
    song_id: str
    since: datetime
    until: datetime
    totals: dict[str, int] = Field(description="Events per name in the window.")
    days: list[DayCounts] = Field(description="UTC days with events, oldest first.")


@router.post("/events", status_code=202, dependencies=[Depends(rate_limit("analytics", 120))])
async def ingest(
    body: EventBatchIn, request: Request, p: PlatformDep, sender: OptionalAddress
) -> AcceptedOut:
    """Store a batch of 1 to 100 events. An event naming a song this node does not know is
    kept without the link (its id goes to the `unknown_song_id` property)."""

    def store(session: Session) -> None:
        songs = SongRepository(session)
        known = {s for s in {e.song_id for e in body.events if e.song_id} if songs.get(s)}
        events = AnalyticsRepository(session)
        for e in body.events:
            props = dict(e.properties)
            if e.client_time is not None:
                props["client_time"] = e.client_time.isoformat()
            song_id = e.song_id if e.song_id in known else None
            if e.song_id and song_id is None:
                props["unknown_song_id"] = e.song_id
            events.record(e.name, props, song_id=song_id, session_id=e.session_id, listener=sender)

    await write(request, store)
    for e in body.events:  # counted once stored
        p.metrics.analytics_events.labels(e.name).inc()
    return AcceptedOut(accepted=len(body.events))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get(
    "/summary",
    responses={401: {}, 403: {}, 404: {}},
    dependencies=[Depends(rate_limit("read", 600))],
)
def summary(
    session: ReadSession,
    artist: CurrentAddress,
    song_id: Annotated[SongId, Query(description="One of the signed-in artist's songs.")],
    since: Annotated[UtcTime | None, Query(description="Default: 30 days ago.")] = None,
    until: Annotated[UtcTime | None, Query(description="Default: now.")] = None,
) -> SummaryOut:
    """Event counts of one song by name and by UTC day (the song's artist only)."""
    song = SongRepository(session).get(song_id)
    if song is None:
        raise APIError(404, f"song {song_id} not found")
    if song.artist.lower() != artist.lower():
        raise APIError(403, "only the song's artist can see its analytics")
    end = _aware(until) if until else datetime.now(UTC)
    start = _aware(since) if since else end - timedelta(days=30)
    if start >= end:
        raise APIError(422, "`since` must be before `until`", "invalid_request")
    if end - start > timedelta(days=SUMMARY_MAX_DAYS):
        raise APIError(422, f"a summary covers at most {SUMMARY_MAX_DAYS} days", "invalid_request")
    events = AnalyticsRepository(session)
    totals: dict[str, int] = {}
    per_day: dict[date, dict[str, int]] = {}
    for name in EVENT_NAMES:
        for d in events.by_day(name, song_id=song_id, since=start, until=end):
            per_day.setdefault(d.day, {})[name] = d.value
            totals[name] = totals.get(name, 0) + d.value
    return SummaryOut(
        song_id=song_id,
        since=start,
        until=end,
        totals=totals,
        days=[DayCounts(day=day, counts=per_day[day]) for day in sorted(per_day)],
    )

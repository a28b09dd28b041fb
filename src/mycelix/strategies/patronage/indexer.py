"""Patronage's events in the catalogue: each (artist, patron)'s history and state, and the
songs kept for patrons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mycelix.catalog.repositories import PatronEventIn
from mycelix.indexer.reader import hex32

if TYPE_CHECKING:
    from mycelix.indexer.context import IndexContext
    from mycelix.sdk.types import ChainEvent


def _time(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def _patron_event(ctx: IndexContext, event: ChainEvent, kind: str) -> None:
    args = event.args
    if kind == "cancelled":
        record = PatronEventIn(
            artist=str(args["artist"]),
            patron=str(args["patron"]),
            kind=kind,
            ref=ctx.ref(event),
            access_until=_time(args["access_until"]),
        )
    else:
        record = PatronEventIn(
            artist=str(args["artist"]),
            patron=str(args["patron"]),
            kind=kind,
            ref=ctx.ref(event),
            tier=int(str(args["tier"])),
            level=int(str(args.get("level", 1))),
            amount=int(str(args["amount"])),
            song_id=hex32(args["song_id"]),
            started_at=_time(args["start"]),
            paid_until=_time(args["paid_until"]),
        )
    if ctx.patrons.record_event(record) and kind != "cancelled":
        ctx.count(lambda m: m.patronage.labels(kind=kind).inc())


def on_patron_joined(ctx: IndexContext, event: ChainEvent) -> None:
    _patron_event(ctx, event, "joined")


def on_patron_renewed(ctx: IndexContext, event: ChainEvent) -> None:
    _patron_event(ctx, event, "renewed")


def on_patron_cancelled(ctx: IndexContext, event: ChainEvent) -> None:
    _patron_event(ctx, event, "cancelled")


def on_patron_only_set(ctx: IndexContext, event: ChainEvent) -> None:
    song_id = hex32(event.args["song_id"])
    ctx.songs.update(song_id, patron_only=bool(event.args["patron_only"]))
    ctx.touch(event, song_id)

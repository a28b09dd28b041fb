"""Earnings reports (sums of credits, grouped and labelled, as JSON rows or CSV), the play
listing with a keyset cursor, and payment history.

Every amount is an exact int from the repositories; FLOW strings are derived from it
without floats (mycelix.schemas.flow_text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from mycelix.catalog.models import Play
from mycelix.catalog.repositories import (
    ArtistRepository,
    EarningsFilter,
    EarningsRepository,
    Page,
    PlayRepository,
    SongRepository,
)
from mycelix.catalog.types import to_checksum
from mycelix.schemas import flow_text
from mycelix.strategies import registry


def strategy_label(strategy_id_hex: str) -> str:
    """The registry name of a strategy id (0x-hex), or the id itself if this version does not
    know it."""
    try:
        found = registry.by_id(bytes.fromhex(strategy_id_hex.removeprefix("0x")))
    except ValueError:
        return strategy_id_hex
    return strategy_id_hex if found is None else found.name


class Group(StrEnum):
    TOTAL = "total"
    SONG = "song"
    STRATEGY = "strategy"
    DAY = "day"
    RECIPIENT = "recipient"


@dataclass(frozen=True)
class Row:
    key: str
    label: str | None
    amount: int


def report(session: Session, f: EarningsFilter, group: Group) -> tuple[int, list[Row]]:
    """The total and the rows of one grouping. Rows are largest first (days: oldest first),
    ties by key, so the order is stable."""
    earnings = EarningsRepository(session)
    total = earnings.total(f)
    if group is Group.TOTAL:
        return total, [Row("total", None, total)]
    if group is Group.DAY:
        return total, [Row(d.day.isoformat(), None, d.value) for d in earnings.by_day(f)]
    if group is Group.SONG:
        songs = SongRepository(session)
        rows = []
        for song_id, amount in earnings.by_song(f).items():
            song = songs.get(song_id)
            rows.append(
                Row(song_id, song.title if song is not None and song.title else None, amount)
            )
    elif group is Group.STRATEGY:
        rows = [
            Row(strategy_label(sid), None, amount)
            for sid, amount in earnings.by_strategy(f).items()
        ]
    else:
        artists = ArtistRepository(session)
        rows = []
        for address, amount in earnings.by_recipient(f).items():
            artist = artists.get(address)
            name = artist.name if artist is not None and artist.name else None
            rows.append(Row(to_checksum(address), name, amount))
    rows.sort(key=lambda r: (-r.amount, r.key))
    return total, rows


def _cell(value: str | None) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(group: Group, rows: Iterable[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([group.value, "label", "amount_wei", "amount_flow"])
    for row in rows:
        writer.writerow([_cell(row.key), _cell(row.label), str(row.amount), flow_text(row.amount)])
    return out.getvalue()


# ---------------------------------------------------------------------- plays


def plays_page(
    session: Session,
    *,
    song_id: str | None,
    listener: str | None,
    since: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Play]:
    """Plays newest first, keyset-paged on (played_at, id)."""
    return PlayRepository(session).page(
        song_id=song_id, listener=listener, since=since, limit=limit, cursor=cursor
    )


def filters_echo(f: EarningsFilter, strategy: str | None) -> dict[str, Any]:
    return {
        "artist": to_checksum(f.artist) if f.artist else None,
        "recipient": to_checksum(f.recipient) if f.recipient else None,
        "song_id": f.song_id,
        "strategy": strategy,
        "since": f.since,
        "until": f.until,
        "kind": f.kind or "all",
    }

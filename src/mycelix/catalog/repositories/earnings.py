"""Earnings: sums of credits, never of payments.

A payment's net is split among the song's collaborators, so "what did this artist earn"
is the sum of what was *credited to the artist's address*, and "what did this song earn"
is the sum of its split credits (the net of its payments: fees excluded). Every figure is
an exact int of token units (`amount_sum`, sqlfuncs.py), on SQLite as on PostgreSQL, and
days are UTC calendar days on both.

Ranges are half-open, ``since <= credited_at < until``, so consecutive ranges never count
a credit twice. Credits carry their payment's song, strategy and block time, so every
query here reads one table through one of its ``(..., credited_at)`` indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from ..models import Credit, Song
from ..sqlfuncs import amount_sum, utc_day
from ..types import normalize_address, normalize_bytes32, utc
from .common import DayCount, day_counts


@dataclass(frozen=True)
class EarningsFilter:
    """Which credits to add up; every field optional.

    `recipient`: credited to this address (an artist, a collaborator, the treasury).
    `artist`: credited on songs of this artist, whoever received them (song revenue).
    `kind`: "split" (shares of payments' net, the default), "fee", or None for both.
    """

    recipient: str | None = None
    artist: str | None = None
    song_id: str | bytes | None = None
    strategy_id: str | bytes | None = None
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = "split"


def _where(stmt: Select[Any], f: EarningsFilter) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    if f.kind is not None:
        conditions.append(Credit.kind == f.kind)
    if f.recipient is not None:
        conditions.append(Credit.recipient == normalize_address(f.recipient))
    if f.song_id is not None:
        conditions.append(Credit.song_id == normalize_bytes32(f.song_id))
    if f.strategy_id is not None:
        conditions.append(Credit.strategy_id == normalize_bytes32(f.strategy_id))
    if f.artist is not None:
        songs = select(Song.song_id).where(Song.artist == normalize_address(f.artist))
        conditions.append(Credit.song_id.in_(songs))
    if f.since is not None:
        conditions.append(Credit.credited_at >= utc(f.since))
    if f.until is not None:
        conditions.append(Credit.credited_at < utc(f.until))
    return stmt.where(*conditions)


class EarningsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def total(self, f: EarningsFilter = EarningsFilter()) -> int:
        """Sum of the matching credits."""
        value = self.session.scalar(_where(select(amount_sum(Credit.amount)), f))
        return int(value or 0)

    def for_recipient(
        self, address: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        """What `address` earned from splits (an artist's earnings, collaborators'
        shares included only for them)."""
        return self.total(EarningsFilter(recipient=address, since=since, until=until))

    def _grouped(self, column: Any, f: EarningsFilter) -> dict[str, int]:
        stmt = _where(select(column, amount_sum(Credit.amount)), f).group_by(column)
        return {key: int(value or 0) for key, value in self.session.execute(stmt)}

    def by_song(self, f: EarningsFilter = EarningsFilter()) -> dict[str, int]:
        """Sums per song id."""
        return self._grouped(Credit.song_id, f)

    def by_recipient(self, f: EarningsFilter = EarningsFilter()) -> dict[str, int]:
        """Sums per credited address: per artist, per collaborator."""
        return self._grouped(Credit.recipient, f)

    def by_strategy(self, f: EarningsFilter = EarningsFilter()) -> dict[str, int]:
        """Sums per strategy id (bytes32 hex; strategies.ids maps names to ids)."""
        return self._grouped(Credit.strategy_id, f)

    def by_day(self, f: EarningsFilter = EarningsFilter()) -> list[DayCount]:
        """Sums per UTC day, oldest first; days without credits are absent."""
        day = utc_day(Credit.credited_at)
        stmt = _where(select(day, amount_sum(Credit.amount)), f).group_by(day)
        return day_counts(self.session.execute(stmt))

    def top_songs(
        self, f: EarningsFilter = EarningsFilter(), *, limit: int = 10
    ) -> list[tuple[str, int]]:
        """The songs with the largest sums, largest first (ties by song id)."""
        total = amount_sum(Credit.amount)
        stmt = (
            _where(select(Credit.song_id, total), f)
            .group_by(Credit.song_id)
            .order_by(total.desc(), Credit.song_id)
            .limit(limit)
        )
        return [(song, int(value)) for song, value in self.session.execute(stmt)]

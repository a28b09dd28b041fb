"""Plays: one row per listen, and the per-song counter the "sort by plays" index uses.

A play from the chain references its payment (unique), so recording it twice is a
no-op; an off-chain play (no payment) is always new. ``songs.play_count`` changes in the
same transaction as the rows, by the number actually inserted or deleted, so it always
equals ``COUNT(*)`` of the song's plays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from ..models import Play, Song
from ..sqlfuncs import insert_ignoring, insert_rows, utc_day
from ..types import normalize_address, normalize_bytes32, utc
from . import cursor as cursors
from .common import DayCount, Page, day_counts

PLAYS_SORT = "plays-newest"


@dataclass(frozen=True)
class PaidPlay:
    """The play of a chain payment (a STREAM)."""

    song_id: str
    listener: str
    payment_id: int
    block_number: int
    played_at: datetime


class PlayRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        song_id: str | bytes,
        *,
        played_at: datetime,
        listener: str | None = None,
        payment_id: int | None = None,
        block_number: int | None = None,
    ) -> bool:
        """Record a listen; False if the payment's play was recorded already."""
        song_id = normalize_bytes32(song_id)
        values = {
            "song_id": song_id,
            "listener": normalize_address(listener) if listener else None,
            "payment_id": payment_id,
            "block_number": block_number,
            "played_at": utc(played_at),
        }
        inserted = self.session.execute(
            insert_ignoring(self.session, Play, "payment_id").values(**values).returning(Play.id)
        ).scalar_one_or_none()
        if inserted is None:
            return False
        self.session.execute(
            update(Song)
            .where(Song.song_id == song_id)
            .values(play_count=Song.play_count + 1)
            .execution_options(synchronize_session=False)
        )
        song = self.session.identity_map.get(self.session.identity_key(Song, (song_id,)))
        if song is not None:
            self.session.expire(song, ["play_count"])
        return True

    def record_paid(self, plays: Sequence[PaidPlay]) -> int:
        """Record the plays of newly recorded payments at once (one bulk INSERT, ON
        CONFLICT on the payment doing nothing) and move each song's play count by the
        number inserted (one UPDATE per song); returns how many were inserted."""
        if not plays:
            return 0
        rows = [
            {
                "song_id": normalize_bytes32(p.song_id),
                "listener": normalize_address(p.listener),
                "payment_id": p.payment_id,
                "block_number": p.block_number,
                "played_at": utc(p.played_at),
            }
            for p in plays
        ]
        inserted = insert_rows(
            self.session, Play, rows, ignoring=("payment_id",), returning=("song_id",)
        )
        per_song = Counter(song_id for (song_id,) in inserted)
        songs = cast(Table, Song.__table__)
        if per_song:
            self.session.execute(
                update(songs)
                .where(songs.c.song_id == bindparam("counted_song"))
                .values(play_count=songs.c.play_count + bindparam("counted")),
                [{"counted_song": s, "counted": n} for s, n in sorted(per_song.items())],
            )
        for song_id in per_song:
            song = self.session.identity_map.get(self.session.identity_key(Song, (song_id,)))
            if song is not None:
                self.session.expire(song, ["play_count"])
        return len(inserted)

    def _where(
        self,
        stmt: Select[Any],
        *,
        song_id: str | bytes | None,
        artist: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> Select[Any]:
        conditions: list[ColumnElement[bool]] = []
        if song_id is not None:
            conditions.append(Play.song_id == normalize_bytes32(song_id))
        if artist is not None:
            songs = select(Song.song_id).where(Song.artist == normalize_address(artist))
            conditions.append(Play.song_id.in_(songs))
        if since is not None:
            conditions.append(Play.played_at >= utc(since))
        if until is not None:
            conditions.append(Play.played_at < utc(until))
        return stmt.where(*conditions)

    def count(
        self,
        *,
        song_id: str | bytes | None = None,
        artist: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Plays in ``[since, until)``, of one song or one artist's songs, or all."""
        stmt = self._where(
            select(func.count()).select_from(Play),
            song_id=song_id,
            artist=artist,
            since=since,
            until=until,
        )
        return int(self.session.scalar(stmt) or 0)

    def by_day(
        self,
        *,
        song_id: str | bytes | None = None,
        artist: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[DayCount]:
        """Plays per UTC day, oldest first; days without plays are absent."""
        day = utc_day(Play.played_at)
        stmt = self._where(
            select(day, func.count()).select_from(Play),
            song_id=song_id,
            artist=artist,
            since=since,
            until=until,
        ).group_by(day)
        return day_counts(self.session.execute(stmt))

    def recent(
        self, *, song_id: str | bytes | None = None, listener: str | None = None, limit: int = 50
    ) -> list[Play]:
        """Newest plays first, of a song and/or by a listener (listening history)."""
        stmt = select(Play)
        if song_id is not None:
            stmt = stmt.where(Play.song_id == normalize_bytes32(song_id))
        if listener is not None:
            stmt = stmt.where(Play.listener == normalize_address(listener))
        stmt = stmt.order_by(Play.played_at.desc(), Play.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def page(
        self,
        *,
        song_id: str | bytes | None = None,
        listener: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Play]:
        """Plays newest first, keyset-paged on (played_at, id)."""
        stmt = select(Play)
        if song_id is not None:
            stmt = stmt.where(Play.song_id == normalize_bytes32(song_id))
        if listener is not None:
            stmt = stmt.where(Play.listener == normalize_address(listener))
        if since is not None:
            stmt = stmt.where(Play.played_at >= utc(since))
        if cursor is not None:
            at, play_id = cursors.decode(cursor, PLAYS_SORT, 2)
            when, play_id = cursors.moment(at), cursors.integer(play_id)
            stmt = stmt.where(tuple_(Play.played_at, Play.id) < (when, play_id))
        stmt = stmt.order_by(Play.played_at.desc(), Play.id.desc()).limit(limit + 1)
        rows = list(self.session.scalars(stmt))
        page = rows[:limit]
        last = page[-1] if page else None
        next_cursor = (
            cursors.encode(PLAYS_SORT, [last.played_at.isoformat(), last.id])
            if len(rows) > limit and last is not None
            else None
        )
        return Page(page, next_cursor)

    def unique_listeners(self, song_id: str | bytes) -> int:
        stmt = select(func.count(func.distinct(Play.listener))).where(
            Play.song_id == normalize_bytes32(song_id), Play.listener.is_not(None)
        )
        return int(self.session.scalar(stmt) or 0)

    def delete_above(self, block_number: int) -> int:
        """Reorg: delete chain plays above `block_number` and take them off the songs'
        play counts. Off-chain plays (no block) stay."""
        lost = self.session.execute(
            select(Play.song_id, func.count())
            .where(Play.block_number > block_number)
            .group_by(Play.song_id)
        ).all()
        self.session.execute(
            delete(Play)
            .where(Play.block_number > block_number)
            .execution_options(synchronize_session=False)
        )
        for song_id, n in lost:
            self.session.execute(
                update(Song)
                .where(Song.song_id == song_id)
                .values(play_count=Song.play_count - n)
                .execution_options(synchronize_session=False)
            )
        return sum(int(n) for _, n in lost)

"""Platform and per-artist figures for `mycelix stats`: counts and exact token sums.

Every figure is one aggregate over one table (plus the song filter for an artist), so the
whole report is a handful of statements however large the catalogue. Revenue is what
listeners paid (payments' gross amounts, fees included), grouped by strategy id; credits
are what the router assigned to recipients (splits) and to the treasury (fees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.orm import Session

from ..models import Artist, Credit, Patron, Payment, Play, Song, Withdrawal
from ..sqlfuncs import amount_sum
from ..types import normalize_address, utcnow


@dataclass(frozen=True)
class StrategyRevenue:
    """Payments of one strategy: how many, and their gross amount in token units."""

    strategy_id: str
    strategy_name: str | None
    payments: int
    amount: int


@dataclass(frozen=True)
class Figures:
    """The figures of the platform, or of one artist's songs (`artist` set)."""

    artist: str | None
    songs: int
    artists: int
    plays: int
    listeners: int
    payments: int
    revenue: int
    fees: int
    credited: int
    withdrawn: int
    active_patrons: int
    by_strategy: list[StrategyRevenue] = field(default_factory=list)
    # The artist's own share (credits to the artist's address); None for the platform.
    earned: int | None = None


class StatsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def figures(self, artist: str | None = None) -> Figures:
        """The platform's figures, or those of `artist`'s songs (and its own earnings)."""
        address = normalize_address(artist) if artist is not None else None
        songs_of = (
            select(Song.song_id).where(Song.artist == address) if address is not None else None
        )

        def on_songs(column: Any) -> list[ColumnElement[bool]]:
            return [column.in_(songs_of)] if songs_of is not None else []

        described: list[ColumnElement[bool]] = [Song.audio_cid.is_not(None)]
        if address is not None:
            described.append(Song.artist == address)
        songs = self._scalar(select(func.count()).select_from(Song).where(*described))
        if address is None:
            artists = self._scalar(select(func.count(func.distinct(Song.artist))).where(*described))
        else:
            artists = self._scalar(
                select(func.count()).select_from(Artist).where(Artist.address == address)
            )
        plays = self._scalar(select(func.count()).select_from(Play).where(*on_songs(Play.song_id)))
        # A listener is any address that played or paid: a tip without a play counts.
        who = union(
            select(Play.listener.label("who")).where(
                Play.listener.is_not(None), *on_songs(Play.song_id)
            ),
            select(Payment.payer.label("who")).where(*on_songs(Payment.song_id)),
        ).subquery()
        listeners = self._scalar(select(func.count()).select_from(who))
        payments = self._scalar(
            select(func.count()).select_from(Payment).where(*on_songs(Payment.song_id))
        )
        revenue = self._scalar(select(amount_sum(Payment.amount)).where(*on_songs(Payment.song_id)))
        fees = self._scalar(
            select(amount_sum(Credit.amount)).where(Credit.kind == "fee", *on_songs(Credit.song_id))
        )
        credited = self._scalar(
            select(amount_sum(Credit.amount)).where(
                Credit.kind == "split", *on_songs(Credit.song_id)
            )
        )
        withdrawals = select(amount_sum(Withdrawal.amount))
        if address is not None:
            withdrawals = withdrawals.where(Withdrawal.recipient == address)
        withdrawn = self._scalar(withdrawals)
        active = select(func.count()).select_from(Patron).where(Patron.access_until > utcnow())
        if address is not None:
            active = active.where(Patron.artist == address)
        earned = None
        if address is not None:
            earned = self._scalar(
                select(amount_sum(Credit.amount)).where(
                    Credit.kind == "split", Credit.recipient == address
                )
            )
        return Figures(
            artist=address,
            songs=songs,
            artists=artists,
            plays=plays,
            listeners=listeners,
            payments=payments,
            revenue=revenue,
            fees=fees,
            credited=credited,
            withdrawn=withdrawn,
            active_patrons=self._scalar(active),
            by_strategy=self._by_strategy(on_songs(Payment.song_id)),
            earned=earned,
        )

    def _by_strategy(self, conditions: list[ColumnElement[bool]]) -> list[StrategyRevenue]:
        total = amount_sum(Payment.amount)
        stmt = (
            select(Payment.strategy_id, func.count(), total)
            .where(*conditions)
            .group_by(Payment.strategy_id)
        )
        rows = list(self.session.execute(stmt))
        # Songs carry the registry name the chain registered them under.
        named = (
            select(Song.strategy_id, func.max(Song.strategy_name))
            .where(Song.strategy_id.in_([sid for sid, _, _ in rows]))
            .group_by(Song.strategy_id)
        )
        names = {sid: name for sid, name in self.session.execute(named)}
        result = [
            StrategyRevenue(sid, names.get(sid), int(n), int(amount or 0))
            for sid, n, amount in rows
        ]
        return sorted(result, key=lambda r: (-r.amount, r.strategy_id))

    def _scalar(self, stmt: Any) -> int:
        return int(self.session.scalar(stmt) or 0)

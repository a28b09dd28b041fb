"""Songs: creation, chain registration, splits, and the discovery listing.

The listing (search by title or artist name, filter by genre / strategy / artist, sort by
newest / oldest / title / plays) pages by keyset cursor (cursor.py). Each sort has an
index ending in ``song_id`` (models.py), and filters on genre, strategy or artist have
their own ``(filter, created_at, song_id)`` index for the default sort.

Search is a case-folded substring match (types.fold) over the stored ``title_key`` and
the artist's ``name_key`` with LIKE wildcards escaped — a scan, which is fine for a
self-hosted catalogue of thousands of songs; a large deployment would add a trigram or
full-text index on PostgreSQL without changing this API. `count` is a separate call, so a
listing never pays for a ``COUNT(*)`` it does not show.

"Sort by plays" orders by a counter that changes while a client pages: a song whose count
crosses the cursor's between two pages can be seen twice or missed. That is inherent to
sorting on a live figure; the other sorts are on immutable keys (title edits aside).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    delete,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, defer, lazyload

from mycelix.errors import Conflict

from ..models import Artist, Song, Split
from ..types import fold, normalize_address, normalize_bytes32, normalize_genre, utc
from . import cursor as cursors
from .artists import ArtistRepository
from .common import AlreadyExists, ChainRef, InvalidCursor, NotFound, Page, escape_like

MAX_SPLITS = 64
BPS = 10_000
MAX_PAGE = 200
EDITABLE = frozenset({"title", "genre", "cover_cid", "patron_only", "stream_price"})


class SongSort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"
    PLAYS = "plays"


@dataclass(frozen=True)
class _Order:
    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool


ORDERS: dict[SongSort, _Order] = {
    SongSort.NEWEST: _Order((Song.created_at, Song.song_id), descending=True),
    SongSort.OLDEST: _Order((Song.created_at, Song.song_id), descending=False),
    SongSort.TITLE: _Order((Song.title_key, Song.song_id), descending=False),
    SongSort.PLAYS: _Order((Song.play_count, Song.song_id), descending=True),
}


@dataclass(frozen=True)
class SongQuery:
    """Filters of the discovery listing; every field is optional."""

    q: str | None = None
    genre: str | None = None
    strategy: str | None = None  # strategy registry name (`mycelix.strategies.registry`)
    artist: str | None = None
    sort: SongSort = SongSort.NEWEST
    # Stubs (registered on chain, never described here) have no audio and are hidden.
    include_stubs: bool = False


@dataclass(frozen=True)
class NewSong:
    """A described song, as the upload flow creates it."""

    song_id: str | bytes
    artist: str
    title: str
    audio_cid: str
    genre: str = ""
    duration_ms: int | None = None
    cover_cid: str | None = None
    media_type: str | None = None
    bitrate: int | None = None
    sample_rate: int | None = None
    waveform: list[float] | None = None
    strategy_id: str | bytes | None = None
    strategy_name: str | None = None
    patron_only: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True)
class SplitSpec:
    recipient: str
    bps: int
    role: int = 0


@dataclass
class SongFacets:
    genres: dict[str, int] = field(default_factory=dict)
    strategies: dict[str, int] = field(default_factory=dict)


def _key_of(song: Song, sort: SongSort) -> list[Any]:
    """The JSON-serialisable sort key of `song`: what a cursor after it holds."""
    first: Any
    if sort in (SongSort.NEWEST, SongSort.OLDEST):
        first = song.created_at.isoformat()
    elif sort is SongSort.TITLE:
        first = song.title_key
    else:
        first = song.play_count
    return [first, song.song_id]


def _parse_key(key: list[Any], sort: SongSort) -> list[Any]:
    first, song_id = key
    try:
        song_id = normalize_bytes32(song_id)
    except (TypeError, ValueError) as exc:
        raise InvalidCursor("malformed cursor") from exc
    if sort in (SongSort.NEWEST, SongSort.OLDEST):
        first = cursors.moment(first)
    elif sort is SongSort.TITLE:
        first = cursors.text(first)
    else:
        first = cursors.integer(first)
    return [first, song_id]


@dataclass(frozen=True)
class PaymentTerms:
    """A song's artist of record and its on-chain splits (recipient, bps) in router order."""

    artist: str
    splits: tuple[tuple[str, int], ...]


class SongRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, song_id: str | bytes) -> Song | None:
        return self.session.get(Song, normalize_bytes32(song_id))

    def payment_terms(self, song_ids: Sequence[str]) -> dict[str, PaymentTerms]:
        """What distributing a payment needs of each of these songs (absent: not in the
        catalogue): its artist and its splits as configured on chain, in router order.
        Two queries for all of them, no ORM objects: the indexer asks once per batch."""
        ids = sorted({normalize_bytes32(s) for s in song_ids})
        if not ids:
            return {}
        songs, splits = Song.__table__, Split.__table__
        artists: dict[str, str] = {
            song_id: artist
            for song_id, artist in self.session.execute(
                select(songs.c.song_id, songs.c.artist).where(songs.c.song_id.in_(ids))
            )
        }
        configured: dict[str, list[tuple[str, int]]] = {}
        for song_id, recipient, bps in self.session.execute(
            select(splits.c.song_id, splits.c.recipient, splits.c.bps)
            .where(splits.c.song_id.in_(ids), splits.c.block_number.is_not(None))
            .order_by(splits.c.song_id, splits.c.position)
        ):
            configured.setdefault(song_id, []).append((recipient, bps))
        return {
            song_id: PaymentTerms(artist, tuple(configured.get(song_id, ())))
            for song_id, artist in artists.items()
        }

    def require(self, song_id: str | bytes) -> Song:
        song = self.get(song_id)
        if song is None:
            raise NotFound(f"song {normalize_bytes32(song_id)} not found")
        return song

    def create(self, new: NewSong) -> Song:
        """Describe a new song; AlreadyExists if its id is taken (ids are never reused)."""
        song_id = normalize_bytes32(new.song_id)
        ArtistRepository(self.session).ensure(new.artist)
        if self.session.get(Song, song_id) is not None:
            raise AlreadyExists(f"song {song_id} already exists")
        song = Song(
            song_id=song_id,
            artist=normalize_address(new.artist),
            title=new.title,
            genre=new.genre,
            audio_cid=new.audio_cid,
            duration_ms=new.duration_ms,
            cover_cid=new.cover_cid,
            media_type=new.media_type,
            bitrate=new.bitrate,
            sample_rate=new.sample_rate,
            waveform=new.waveform,
            strategy_id=normalize_bytes32(new.strategy_id) if new.strategy_id else None,
            strategy_name=new.strategy_name,
            patron_only=new.patron_only,
        )
        if new.created_at is not None:
            song.created_at = utc(new.created_at)
        try:
            with self.session.begin_nested():
                self.session.add(song)
        except IntegrityError as exc:  # a concurrent writer won the race
            raise AlreadyExists(f"song {song_id} already exists") from exc
        return song

    def update(self, song_id: str | bytes, **changes: Any) -> Song:
        """Change descriptive fields (title, genre, cover_cid, patron_only)."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        song = self.require(song_id)
        for name, value in changes.items():
            setattr(song, name, value)
        self.session.flush()
        return song

    def delete_draft(self, song_id: str | bytes) -> None:
        """Forget a song described here and never registered on chain (Conflict once it is:
        a registered song's record follows the chain)."""
        song = self.require(song_id)
        if song.registration_tx is not None:
            raise Conflict(f"song {song.song_id} is registered on chain: it cannot be deleted")
        self.session.delete(song)
        self.session.flush()

    def register(
        self,
        song_id: str | bytes,
        *,
        artist: str,
        strategy_id: str | bytes,
        strategy_name: str | None,
        ref: ChainRef,
    ) -> Song:
        """Record a `SongRegistered` event, creating a stub row if nobody described the
        song here. The chain is authoritative for artist and strategy. Idempotent."""
        ArtistRepository(self.session).ensure(artist)
        song = self.get(song_id)
        if song is None:
            song = Song(song_id=normalize_bytes32(song_id), artist=normalize_address(artist))
            song.title = ""
            song.genre = ""
            self.session.add(song)
        song.artist = normalize_address(artist)
        song.strategy_id = normalize_bytes32(strategy_id)
        song.strategy_name = strategy_name
        song.registration_tx = ref.tx_hash
        song.registration_block = ref.block_number
        self.session.flush()
        return song

    def set_splits(
        self, song_id: str | bytes, splits: Sequence[SplitSpec], *, block_number: int | None = None
    ) -> list[Split]:
        """Replace a song's splits (the router's rules: ≤ 64 recipients, positive bps
        summing to 10000). `block_number` marks a configuration seen on chain."""
        song = self.require(song_id)
        if not 0 < len(splits) <= MAX_SPLITS:
            raise ValueError(f"a song has 1 to {MAX_SPLITS} splits")
        if any(s.bps <= 0 for s in splits) or sum(s.bps for s in splits) != BPS:
            raise ValueError(f"split bps must be positive and sum to {BPS}")
        self.session.execute(delete(Split).where(Split.song_id == song.song_id))
        self.session.expire(song, ["splits"])
        rows = [
            Split(
                song_id=song.song_id,
                position=i,
                recipient=normalize_address(s.recipient),
                bps=s.bps,
                role=s.role,
                block_number=block_number,
            )
            for i, s in enumerate(splits)
        ]
        self.session.add_all(rows)
        self.session.flush()
        return rows

    def list(self, query: SongQuery, *, limit: int = 50, cursor: str | None = None) -> Page[Song]:
        """One page of songs matching `query`, in `query.sort` order. Their waveforms and splits
        are not loaded (no listing shows them; reading one loads it): decoding 1,024 peaks per
        song and a second query for the splits were most of what a page cost to build."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be within 1..{MAX_PAGE}")
        order = ORDERS[query.sort]
        listed = select(Song).options(defer(Song.waveform), lazyload(Song.splits))
        stmt = self._filtered(listed, query)
        if cursor is not None:
            key = _parse_key(cursors.decode(cursor, query.sort.value, 2), query.sort)
            # Typed binds, so the key goes through the columns' types (UTC, bytes32).
            params = tuple_(
                *(bindparam(None, v, type_=c.type) for c, v in zip(order.columns, key, strict=True))
            )
            after = tuple_(*order.columns)
            stmt = stmt.where(after < params if order.descending else after > params)
        stmt = stmt.order_by(*(c.desc() if order.descending else c.asc() for c in order.columns))
        songs = list(self.session.scalars(stmt.limit(limit + 1)).unique())
        more = len(songs) > limit
        songs = songs[:limit]
        if not more:
            return Page(songs, None)
        return Page(songs, cursors.encode(query.sort.value, _key_of(songs[-1], query.sort)))

    def count(self, query: SongQuery) -> int:
        """How many songs match `query` in total (cursor-independent)."""
        stmt = self._filtered(select(func.count()).select_from(Song), query)
        return int(self.session.scalar(stmt) or 0)

    def facets(self, query: SongQuery | None = None) -> SongFacets:
        """Song counts per genre and per strategy name (for filter menus)."""
        query = query or SongQuery()
        facets = SongFacets()
        groups = ((Song.genre, facets.genres), (Song.strategy_name, facets.strategies))
        for column, target in groups:
            stmt = self._filtered(select(column, func.count()).select_from(Song), query)
            for value, n in self.session.execute(stmt.group_by(column)):
                if value:
                    target[value] = int(n)
        return facets

    def _filtered(self, stmt: Select[Any], query: SongQuery) -> Select[Any]:
        conditions: list[ColumnElement[bool]] = []
        if not query.include_stubs:
            conditions.append(Song.audio_cid.is_not(None))
        if query.genre:
            conditions.append(Song.genre == normalize_genre(query.genre))
        if query.strategy:
            conditions.append(Song.strategy_name == query.strategy)
        if query.artist:
            conditions.append(Song.artist == normalize_address(query.artist))
        if query.q and query.q.strip():
            pattern = f"%{escape_like(fold(query.q.strip()))}%"
            by_artist = select(Artist.address).where(Artist.name_key.like(pattern, escape="\\"))
            conditions.append(
                or_(Song.title_key.like(pattern, escape="\\"), Song.artist.in_(by_artist))
            )
        return stmt.where(*conditions)

    def unregister_above(self, block_number: int) -> int:
        """Reorg: forget registrations and chain-confirmed splits above `block_number`
        (descriptions stay). Returns the number of songs touched."""
        self.session.execute(delete(Split).where(Split.block_number > block_number))
        result: Any = self.session.execute(
            update(Song)
            .where(Song.registration_block > block_number)
            .values(registration_tx=None, registration_block=None)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        return int(result.rowcount or 0)

    def by_prefix(self, prefix: str, *, limit: int = 2) -> Sequence[Song]:
        """Songs whose id starts with `prefix` (``0x`` and hex digits), for a short id typed
        at the command line; two results mean the prefix is ambiguous."""
        text = prefix.lower()
        if not text.startswith("0x") or not all(c in "0123456789abcdef" for c in text[2:]):
            raise ValueError(f"not a song id: {prefix!r}")
        # As plain text: the column's type would take the pattern for a whole id.
        by_text = type_coerce(Song.song_id, String)
        stmt = select(Song).where(by_text.like(f"{text}%")).order_by(Song.song_id)
        return list(self.session.scalars(stmt.limit(limit)).unique())

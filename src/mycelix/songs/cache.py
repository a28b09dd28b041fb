"""A response cache for the song reads (`GET /api/songs?...` pages and `GET /api/songs/{id}`),
keyed by the full path and query, invalidated by what changed.

Every entry names what it shows (`dependencies`): a detail its song and that song's artist;
a page each of its songs and artists, plus the listing itself (`("list", "*")`: which songs
it holds and their order) and, sorted by plays, the play order (`("list", "plays")`). The
catalogue's change feed (`mycelix.songs.changes`: rows that database triggers write in the
same transaction as the change) says which of those moved, and only the entries that show
them go. A play paid for forgets that song's detail and the pages it is on (and the pages
sorted by plays); an analytics insert, a withdrawal or a login forgets nothing.

- SQLite catalogue (the embedded default, any number of worker processes): the feed is read
  whenever `PRAGMA data_version` moved (checked on every lookup, ~3 µs), so a change is never
  served stale once its commit is visible, from any process.
- PostgreSQL: the feed is polled every 0.1 s, at once after this process's own writes.
- In-memory catalogue (no feed): this process's writes (`bump`) forget everything; entries
  expire after `ttl` (2 s by default).

An answer computed by a read that started before a change it shows is refused (`put` with
the `mark` taken before the read). Writers in this process call `bump()` (`mycelix.api.fastpath`
after every successful write under `/api/songs` or `/api/artists`, the indexer's `on_commit`
through `songs_changed`): it makes the next lookup read the feed at once. Memory is bounded by
`max_bytes` (least recently used entries evicted first; 10,000 song details with their
waveforms take ~80 MB).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from mycelix.songs.changes import (
    ANY,
    EVERYTHING,
    LIST_ALL,
    LIST_PLAYS,
    Change,
    ChangeFeed,
    NoChanges,
    PostgresChanges,
    SqliteChanges,
)

if TYPE_CHECKING:
    from mycelix.platform import Platform

DEFAULT_MAX_BYTES = 128 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024
LOCAL_TTL_SECONDS = 2.0
JOURNAL = 4096  # changes remembered to judge a `put` (a read slower than that many: refused)
EXTRAS_KEY = "song_cache"


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """An HTTP answer as sent: status, raw ASGI headers, body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Version:
    """Moves whenever this process wrote or the catalogue committed anything the feed watches
    (`mycelix.streaming.access` keys its answers by it)."""

    local: int
    shared: Hashable


@dataclass(slots=True)
class _Entry:
    stored: float
    response: CachedResponse
    dependencies: frozenset[Change]


class SongCache:
    """Cached song read answers, each forgotten when something it shows changes (see module
    docstring). Lookups and stores happen on the event loop (`mycelix.api.fastpath`); `bump`
    may come from any thread."""

    def __init__(
        self,
        feed: ChangeFeed | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.feed: ChangeFeed = feed or NoChanges()
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._local = 0
        self._bumped = False
        self._entries: dict[bytes, _Entry] = {}
        self._index: dict[Change, set[bytes]] = {}
        self._journal: deque[tuple[int, Change]] = deque(maxlen=JOURNAL)
        self._generation = 0
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_platform(cls, platform: Platform, **kwargs: Any) -> SongCache:
        """The cache with the change feed of the platform's catalogue."""
        url = platform.catalog.url
        if platform.catalog.dialect == "sqlite" and url.database not in (None, "", ":memory:"):
            return cls(SqliteChanges(str(url.database)), **kwargs)
        if platform.catalog.dialect == "postgresql":
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            return cls(PostgresChanges(conninfo), **kwargs)
        kwargs.setdefault("ttl", LOCAL_TTL_SECONDS)
        return cls(NoChanges(), **kwargs)

    # ------------------------------------------------------------------ reading the feed

    def sync(self) -> None:
        """Forget what the changes committed since the last call touched."""
        with self._lock:
            bumped, self._bumped = self._bumped, False
        changes = self.feed.poll(force=bumped)
        if changes is None or (bumped and isinstance(self.feed, NoChanges)):
            self._apply(EVERYTHING)
            return
        for change in changes:
            self._apply(change)

    def _apply(self, change: Change) -> None:
        self._generation += 1
        self._journal.append((self._generation, change))
        if change == EVERYTHING:
            self.clear()
            return
        for key in self._index.pop(change, ()):
            self._drop(key)
        for key in self._index.pop(ANY, ()):
            self._drop(key)

    def mark(self) -> int:
        """Take before a read whose answer may be `put`: what it may have missed is known."""
        self.sync()
        return self._generation

    def version(self) -> Version:
        """Moves on every write this process made or the catalogue committed."""
        return Version(self._local, self.feed.version())

    # ------------------------------------------------------------------ entries

    def get(self, key: bytes) -> CachedResponse | None:
        self.sync()
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        if self.ttl is not None and found.stored + self.ttl <= self._clock():
            self._drop(key)
            self.misses += 1
            return None
        self.hits += 1
        del self._entries[key]  # least recently used first: a hit moves to the end
        self._entries[key] = found
        return found.response

    def put(
        self,
        key: bytes,
        mark: int,
        response: CachedResponse,
        dependencies: Iterable[Change] = (EVERYTHING,),
    ) -> bool:
        """Store `response`, computed by a read that started at `mark`, as showing
        `dependencies`; refused (False) when one of them changed since (the answer may predate
        it), when that cannot be told, or when it is too big."""
        size = len(response.body) + len(key)
        if size > MAX_ENTRY_BYTES or size > self.max_bytes:
            return False
        self.sync()
        deps = frozenset(dependencies)
        if self._generation != mark and not self._unchanged_since(mark, deps):
            return False
        if key in self._entries:
            self._drop(key)
        self._entries[key] = _Entry(self._clock(), response, deps)
        for dep in deps:
            self._index.setdefault(dep, set()).add(key)
        self._bytes += size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))
        return True

    def _unchanged_since(self, mark: int, deps: frozenset[Change]) -> bool:
        if not self._journal or self._journal[0][0] > mark + 1:
            return False  # the journal no longer reaches back to the read's start
        return not any(
            generation > mark and (change in deps or change == EVERYTHING or ANY in deps)
            for generation, change in self._journal
        )

    def bump(self) -> None:
        """A write committed in this process: the next lookup reads the feed at once (without
        a feed, it forgets everything)."""
        with self._lock:
            self._local += 1
            self._bumped = True

    def clear(self) -> None:
        self._entries = {}
        self._index = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def _drop(self, key: bytes) -> None:
        found = self._entries.pop(key, None)
        if found is None:
            return
        self._bytes -= len(found.response.body) + len(key)
        for dep in found.dependencies:
            keys = self._index.get(dep)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._index[dep]


def dependencies(kind: str, query: bytes, body: bytes) -> list[Change]:
    """What a song read's answer shows (see the module docstring): for "detail" and "list",
    `body` is the JSON answer of `mycelix.songs.endpoints`; the web pages cached beside them
    (home, discover, song and artist pages) show more than their songs and depend on any
    change to songs, splits or artists (`ANY`)."""
    if kind not in ("detail", "list"):
        return [ANY]
    payload = orjson.loads(body)
    songs = payload["items"] if kind == "list" else [payload]
    found: list[Change] = []
    for song in songs:
        found.extend(song_dependencies(str(song["song_id"]), str(song["artist"])))
    if kind == "list":
        found.append(LIST_ALL)
        sorts = parse_qs(query.decode("latin-1")).get("sort", [])
        if "plays" in sorts:
            found.append(LIST_PLAYS)
    return found


def song_dependencies(song_id: str, artist: str) -> tuple[Change, Change]:
    """What one song's entry in an answer shows: the song, and its artist (their name)."""
    return ("song", song_id.lower()), ("artist", artist.lower())


def songs_changed(platform: Platform) -> None:
    """Call after committing a write that changes songs outside a request (the indexer in the
    API's process): the next lookup reads the change feed at once."""
    cache = platform.extras.get(EXTRAS_KEY)
    if isinstance(cache, SongCache):
        cache.bump()

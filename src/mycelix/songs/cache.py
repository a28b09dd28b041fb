"""A response cache for the song reads (`GET /api/songs?...` pages and `GET /api/songs/{id}`),
keyed by the full path and query, invalidated as a whole by a catalogue *version*.

Every entry belongs to the version that was current when its request started; the first
lookup that sees another version drops them all. Whatever writes songs — song create and
edit here, the indexer (registrations, splits, play counts), an artist renaming themself —
changes the version, so a cached answer is never older than the last write this process can
see. Where the version comes from decides what "can see" covers:

- SQLite catalogue (the embedded default, any number of worker processes on the machine):
  `PRAGMA data_version` on a private connection, read on every lookup (~3 µs). It changes
  on every commit by any other connection or process, so nobody needs to bump anything and
  the cache is exact: a write is visible to the next request of every worker.
- Redis configured (replicas, PostgreSQL): a counter in Redis that writers increment
  (`bump`, `songs_changed`), read at most every `poll` seconds (0.25 s by default): other
  processes' writes show within that; this process's own writes at once.
- Neither: this process's own writes show at once; other processes' within `ttl`
  (entries expire; 2 s by default).

Writers in this process call `bump()` (`mycelix.api.fastpath` does it after every successful
write request under `/api/songs` or `/api/artists`); the indexer's `on_commit` calls
`songs_changed(p)` (in the API process) or `announce_songs_changed(...)` (`mycelix indexer
run`) after a batch that touched songs. Memory is bounded by `max_bytes`
(least recently used entries evicted first; 10,000 song details with their waveforms take
~80 MB).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mycelix.platform import Platform

DEFAULT_MAX_BYTES = 128 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024
REDIS_POLL_SECONDS = 0.25
LOCAL_TTL_SECONDS = 2.0
REDIS_KEY = "mycelix:songs:version"
EXTRAS_KEY = "song_cache"


class VersionSource(Protocol):
    """Where the catalogue's version comes from (see the module docstring)."""

    def current(self) -> Hashable:
        """The version now; any change means "something was written"."""
        ...

    def bump(self) -> None:
        """Announce a write to the other processes (after its commit)."""
        ...


class LocalVersion:
    """Only this process's writes (its `bump` calls)."""

    def current(self) -> Hashable:
        return 0

    def bump(self) -> None:
        return None


class SqliteDataVersion:
    """`PRAGMA data_version` of a SQLite file: changes on every commit by any other
    connection, in this process or another. Never writes; never holds a transaction open."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA query_only=ON")
        self._lock = threading.Lock()

    def current(self) -> Hashable:
        with self._lock:
            row = self._db.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def bump(self) -> None:
        return None  # the commit itself changes data_version

    def close(self) -> None:
        self._db.close()


class RedisVersion:
    """A counter in Redis, incremented by every writer, read at most every `poll` seconds."""

    def __init__(
        self,
        client: Any,
        key: str = REDIS_KEY,
        poll: float = REDIS_POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._r = client
        self._key = key
        self._poll = poll
        self._clock = clock
        self._seen: Hashable = None
        self._next = 0.0

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisVersion:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), **kwargs)

    def current(self) -> Hashable:
        now = self._clock()
        if now >= self._next:
            self._next = now + self._poll
            try:
                value = self._r.get(self._key)
            except Exception:  # Redis down: treat every poll as a change (no stale answers)
                value = object()
            self._seen = value
        return self._seen

    def bump(self) -> None:
        self._r.incr(self._key)
        self._next = 0.0


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """An HTTP answer as sent: status, raw ASGI headers, body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Version:
    """The cache's view of the catalogue version: this process's bumps and the source's."""

    local: int
    shared: Hashable


class SongCache:
    """Cached song read answers of the current catalogue version (see module docstring).

    Lookups and stores happen on the event loop (`mycelix.api.fastpath`); `bump` may come
    from any thread."""

    def __init__(
        self,
        source: VersionSource | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source: VersionSource = source or LocalVersion()
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._clock = clock
        self._local = 0
        self._lock = threading.Lock()
        self._version: Version | None = None
        self._entries: dict[bytes, tuple[float, CachedResponse]] = {}
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_platform(cls, platform: Platform, **kwargs: Any) -> SongCache:
        """The cache suited to the platform's catalogue and shared state."""
        catalog = platform.catalog
        url = catalog.url
        if catalog.dialect == "sqlite" and url.database not in (None, "", ":memory:"):
            return cls(SqliteDataVersion(str(url.database)), **kwargs)
        if platform.settings.redis_url:
            return cls(RedisVersion.from_url(platform.settings.redis_url), **kwargs)
        kwargs.setdefault("ttl", LOCAL_TTL_SECONDS)
        return cls(LocalVersion(), **kwargs)

    def version(self) -> Version:
        """The current version; drops every entry when it changed."""
        current = Version(self._local, self.source.current())
        if current != self._version:
            self._version = current
            self._entries = {}
            self._bytes = 0
        return current

    def get(self, key: bytes) -> CachedResponse | None:
        self.version()
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        if self.ttl is not None and found[0] + self.ttl <= self._clock():
            self._drop(key)
            self.misses += 1
            return None
        self.hits += 1
        del self._entries[key]  # least recently used first: a hit moves to the end
        self._entries[key] = found
        return found[1]

    def put(self, key: bytes, version: Version, response: CachedResponse) -> bool:
        """Store `response`, computed from a read that started at `version`; refused (False)
        when a write happened since (the answer may predate it) or it is too big."""
        size = len(response.body) + len(key)
        if size > MAX_ENTRY_BYTES or size > self.max_bytes or self.version() != version:
            return False
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (self._clock(), response)
        self._bytes += size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))
        return True

    def bump(self) -> None:
        """A write committed in this process: forget everything now, tell the others."""
        with self._lock:
            self._local += 1
        self.source.bump()

    def clear(self) -> None:
        self._entries = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def _drop(self, key: bytes) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._bytes -= len(found[1].body) + len(key)


def songs_changed(platform: Platform) -> None:
    """Call after committing a write that changes songs outside a request (the indexer:
    registrations, splits, play counts). A no-op on SQLite, where the commit is the signal."""
    cache = platform.extras.get(EXTRAS_KEY)
    if isinstance(cache, SongCache):
        cache.bump()
    else:
        announce_songs_changed(platform.settings.redis_url, platform.catalog.dialect)


_announcers: dict[str, RedisVersion] = {}


def announce_songs_changed(redis_url: str | None, dialect: str) -> None:
    """`songs_changed` for a process that serves no API (`mycelix indexer run`): tells the API
    processes through Redis. Nothing to do on SQLite (they watch `data_version`) or without
    Redis (their entries expire within `LOCAL_TTL_SECONDS`)."""
    if not redis_url or dialect == "sqlite":
        return
    if redis_url not in _announcers:
        _announcers[redis_url] = RedisVersion.from_url(redis_url)
    _announcers[redis_url].bump()

"""py-evm's key-value database interface over one SQLite file.

py-evm keeps everything it knows (trie nodes, headers, block bodies, receipts, the canonical
head) as opaque ``bytes -> bytes`` pairs behind ``eth.abc.AtomicDatabaseAPI``. ``SQLiteKV``
implements that interface with one SQLite table, plus a small ``meta`` table for the embedding
chain's own bookkeeping (genesis parameters, head hash, clock offset, ...).

Writes are *not* sent to SQLite one key at a time: they collect in an in-memory overlay that
reads see immediately, and :meth:`SQLiteKV.commit` writes the whole overlay — together with any
metadata — in one SQLite transaction. The chain calls ``commit`` once per mined block, so the
file only ever holds complete blocks: a crash loses at most the block being built, never half
of one. (Autocommitting every key gave ~45 transfers/s; one transaction per block gives
hundreds.)

The store is not thread-safe by itself; the embedded chain serialises every access.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from eth.abc import AtomicWriteBatchAPI
from eth.db.atomic import AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB
from lru import LRU

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Sentinel stored in the overlay for a key deleted since the last commit.
_DELETED = None

# Committed values kept in memory: py-evm re-reads the same upper trie nodes and recent
# headers for every block, and a dict hit is far cheaper than a SELECT through sqlite3.
DEFAULT_CACHE_ENTRIES = 32_768


class SQLiteKV(BaseAtomicDB):
    """An ``AtomicDatabaseAPI`` whose data lives in a SQLite file (WAL mode).

    Reads see uncommitted writes; nothing reaches the file until :meth:`commit`.
    """

    def __init__(self, path: Path, cache_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        """Open (creating if needed) the SQLite file at ``path``."""
        self.path = path
        # The embedded chain serialises all access behind one lock, and web3 callers (e.g. an
        # API's worker threads) may arrive on any thread, so SQLite's own thread check is off.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode never corrupts and survives a process crash; an OS crash or power
        # loss may roll back the last few committed blocks (they are then simply missing).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA cache_size=-65536")
        self._conn.executescript(_SCHEMA)
        self._overlay: dict[bytes, bytes | None] = {}
        self._cache: LRU = LRU(cache_entries)

    # -- DatabaseAPI -------------------------------------------------------------------------

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._overlay:
            value = self._overlay[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        row = self._conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        value = bytes(row[0])
        self._cache[key] = value
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._overlay[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._overlay[key] = _DELETED

    def _exists(self, key: bytes) -> bool:
        if key in self._overlay:
            return self._overlay[key] is not _DELETED
        if key in self._cache:
            return True
        row = self._conn.execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone()
        return row is not None

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        """Group writes so that they land in the overlay all together or not at all."""
        # py-evm's own batch applies its diff to the target db only on success; the target
        # here is the overlay, so durability still comes only from commit().
        with AtomicDBWriteBatch._commit_unless_raises(self) as batch:
            yield batch

    # -- persistence -------------------------------------------------------------------------

    @property
    def pending_writes(self) -> int:
        """Number of keys written or deleted since the last commit."""
        return len(self._overlay)

    def commit(self, meta: Mapping[str, str] | None = None) -> None:
        """Write every pending key and the given metadata in one SQLite transaction."""
        puts = [(k, v) for k, v in self._overlay.items() if v is not _DELETED]
        deletes = [(k,) for k, v in self._overlay.items() if v is _DELETED]
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", puts)
            conn.executemany("DELETE FROM kv WHERE key = ?", deletes)
            if meta:
                conn.executemany(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", meta.items()
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # Cleared only after success, so a failed commit is retried by the next one.
        cache = self._cache
        for key, value in self._overlay.items():
            if value is _DELETED:
                cache.pop(key, None)
            else:
                cache[key] = value
        self._overlay.clear()

    def discard(self) -> None:
        """Forget every write since the last commit."""
        self._overlay.clear()

    def get_meta(self, name: str) -> str | None:
        """Return a committed metadata value, or ``None`` when it was never set."""
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def all_meta(self) -> dict[str, str]:
        """Return every committed metadata value."""
        return dict(self._conn.execute("SELECT name, value FROM meta").fetchall())

    def close(self) -> None:
        """Close the file; uncommitted writes are dropped."""
        self._overlay.clear()
        self._cache.clear()
        self._conn.close()

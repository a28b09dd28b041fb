"""What changed in the catalogue, for the song reads' cache (`mycelix.songs.cache`).

The database itself records every change a song read can show: triggers on songs, splits
and artists (migration 0004, `mycelix.catalog.models.CatalogChange`) note `(scope, key)` in
`catalog_changes`, inside the writing transaction. So every writer is covered — the API, the
indexer in this process or in `mycelix indexer run`, a script — and a change becomes visible
to a reader exactly when its commit does. A feed returns the changes it has not returned
before:

- `SqliteChanges`: `PRAGMA data_version` on a private connection on every poll (~3 µs; it
  moves on every commit by anybody); only when it moved, the rows whose `seq` is past the
  last one seen. Writers are serialised by SQLite, so `seq` order is commit order, and an
  analytics insert costs one empty query instead of the whole cache.
- `PostgresChanges`: polled at most every `poll` seconds (0.1 by default; at once after this
  process's own writes). `seq` comes from a sequence, so a transaction can commit after one
  with a higher `seq`: each poll also re-reads the rows of transactions that were still open
  at the previous poll (`xid` at or past that poll's snapshot `xmin`), skipping those it
  already applied.
- `NoChanges`: an in-memory catalogue (one connection, tests); the cache relies on this
  process's own writes (`bump`) and a TTL.

`None` from `poll` means "cannot tell" (the feed's table is missing, the database is down):
the cache then forgets everything rather than answer stale.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Protocol

Change = tuple[str, str]  # (scope, key): ("song", id), ("artist", address), ("list", "*"|"plays")
EVERYTHING: Change = ("all", "")
ANY: Change = ("any", "")  # a dependency on every change the feed reports (not a change)
LIST_ALL: Change = ("list", "*")
LIST_PLAYS: Change = ("list", "plays")
PG_POLL_SECONDS = 0.1


class ChangeFeed(Protocol):
    def poll(self, force: bool = False) -> list[Change] | None:
        """The changes committed since the last poll; None when that cannot be told."""
        ...

    def version(self) -> Hashable:
        """Moves whenever something this feed watches was committed."""
        ...

    def close(self) -> None: ...


class NoChanges:
    """No shared feed: only this process's `bump`s, and the cache's TTL."""

    def poll(self, force: bool = False) -> list[Change] | None:
        return []

    def version(self) -> Hashable:
        return 0

    def close(self) -> None:
        return None


class SqliteChanges:
    """The change feed of a SQLite catalogue file (never writes, never holds a transaction)."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA query_only=ON")
        self._lock = threading.Lock()
        self._data_version: int | None = None
        try:
            row = self._db.execute("SELECT coalesce(max(seq), 0) FROM catalog_changes").fetchone()
            self._seq: int | None = int(row[0])
        except sqlite3.OperationalError:  # not migrated: every commit forgets everything
            self._seq = None

    def poll(self, force: bool = False) -> list[Change] | None:
        with self._lock:
            data_version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            if data_version == self._data_version:
                return []
            self._data_version = data_version
            if self._seq is None:
                return None
            try:
                rows = self._db.execute(
                    "SELECT seq, scope, key FROM catalog_changes WHERE seq > ? ORDER BY seq",
                    (self._seq,),
                ).fetchall()
            except sqlite3.OperationalError:
                return None
            if not rows:
                return []
            # SQLite numbers rows max + 1 and writers are serialised: a gap means the rows
            # were pruned before this reader saw them.
            gap = int(rows[0][0]) != self._seq + 1
            self._seq = int(rows[-1][0])
        return None if gap else [(str(scope), str(key)) for _, scope, key in rows]

    def version(self) -> Hashable:
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class PostgresChanges:
    """The change feed of a PostgreSQL catalogue (see the module docstring)."""

    QUERY = (
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
        "(SELECT coalesce(min(seq), 0) FROM catalog_changes), "
        "coalesce(json_agg(json_build_array(seq, scope, key, xid)), '[]'::json) "
        "FROM catalog_changes WHERE seq > %s OR xid >= %s"
    )

    def __init__(
        self,
        conninfo: str,
        *,
        poll: float = PG_POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        connect: Callable[[str], Any] | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._interval = poll
        self._clock = clock
        self._connect = connect or _psycopg_connect
        self._conn: Any = None
        self._lock = threading.Lock()
        self._next = 0.0
        self._seq = 0
        self._xmin = 0
        self._late: dict[int, int] = {}  # seq -> xid of rows applied that may be re-read
        try:
            row = (
                self._connection()
                .execute(
                    "SELECT coalesce(max(seq), 0), "
                    "pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM catalog_changes"
                )
                .fetchone()
            )
            self._seq, self._xmin = int(row[0]), int(row[1])
        except Exception:  # the database down at start: the first poll says "cannot tell"
            self._drop_connection()
            self._seq = -1

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect(self._conninfo)
        return self._conn

    def _query(self, seq: int, xid: int) -> tuple[int, int, list[list[Any]]]:
        row = self._connection().execute(self.QUERY, (seq, xid)).fetchone()
        return int(row[0]), int(row[1]), list(row[2])

    def poll(self, force: bool = False) -> list[Change] | None:
        now = self._clock()
        if not force and now < self._next:
            return []
        with self._lock:
            self._next = now + self._interval
            try:
                xmin, oldest, rows = self._query(self._seq, self._xmin)
            except Exception:
                self._drop_connection()
                self._seq = -1  # after a failure, everything is suspect once more
                return None
            # Rows past this reader were pruned: it cannot tell what it missed.
            forget_all = self._seq < 0 or (rows and oldest > self._seq + 1 and self._seq > 0)
            changes: list[Change] = []
            newest = self._seq
            for seq, scope, key, xid in rows:
                seq = int(seq)
                if seq <= self._seq and seq in self._late:
                    continue  # re-read because its transaction was open last time: applied
                changes.append((str(scope), str(key)))
                newest = max(newest, seq)
                if xid is not None:
                    self._late[seq] = int(xid)
            self._seq, self._xmin = newest, xmin
            # What a later poll can still re-read: rows of transactions at or past xmin.
            self._late = {s: x for s, x in self._late.items() if x >= xmin}
            return None if forget_all else changes

    def version(self) -> Hashable:
        return self._seq

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop_connection()


def _psycopg_connect(conninfo: str) -> Any:
    import psycopg

    return psycopg.connect(conninfo, autocommit=True, connect_timeout=2)

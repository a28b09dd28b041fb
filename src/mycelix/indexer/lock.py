"""The leader lock: only one indexer writes to a catalogue.

- PostgreSQL: a session-level ``pg_try_advisory_lock`` held on a dedicated connection (not
  pooled, so closing it really ends the session and releases the lock, also when the
  process dies). `check()` proves the connection — hence the lock — is still there.
- SQLite file: an exclusive ``fcntl.flock`` on ``<database file>.indexer.lock`` next to
  the database. The kernel drops it when the process dies, however it dies.
- In-memory SQLite: one process owns the database anyway; the lock is a no-op.

`acquire(wait=False)` raises `IndexerLocked` at once if another indexer holds the lock;
with `wait=True` it retries every `poll` seconds (until `timeout`, if given).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from sqlalchemy import URL, Connection, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.pool import NullPool

from mycelix.catalog.db import is_memory, normalize_url

from .errors import IndexerError, IndexerLocked

# Fixed, arbitrary key of the PostgreSQL advisory lock ("mycelixI" as an int64).
PG_LOCK_KEY = 0x6D7963656C697849
LOCK_SUFFIX = ".indexer.lock"


def lock_path(url: URL, suffix: str = LOCK_SUFFIX) -> Path:
    """The lock file of a SQLite catalogue: next to its database file."""
    assert url.database
    database = Path(url.database)
    return database.with_name(database.name + suffix)


class LeaderLock:
    def __init__(
        self, url: str | URL, *, key: int = PG_LOCK_KEY, suffix: str = LOCK_SUFFIX
    ) -> None:
        """`key` and `suffix` name the lock, so other single-leader workers (the voucher
        settlement) hold one of their own on the same catalogue."""
        self.url = normalize_url(url)
        self.key = key
        self.suffix = suffix
        self._fd: int | None = None
        self._conn: Connection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def describe(self) -> str:
        if self.url.get_backend_name() == "postgresql":
            return f"PostgreSQL advisory lock {self.key:#x} on {self.url.database}"
        if is_memory(self.url):
            return "in-memory database (no lock needed)"
        return f"lock file {lock_path(self.url, self.suffix)}"

    def acquire(
        self, *, wait: bool = False, timeout: float | None = None, poll: float = 0.5
    ) -> None:
        if self._held:
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._try():
            if not wait:
                raise IndexerLocked(
                    f"another indexer is running on this catalogue ({self.describe()})"
                )
            if deadline is not None and time.monotonic() >= deadline:
                raise IndexerLocked(
                    f"another indexer still holds the lock after {timeout:g}s ({self.describe()})"
                )
            time.sleep(poll)
        self._held = True

    def _try(self) -> bool:
        backend = self.url.get_backend_name()
        if backend == "postgresql":
            return self._try_postgres()
        if is_memory(self.url):
            return True
        return self._try_flock()

    def _try_flock(self) -> bool:
        path = lock_path(self.url, self.suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def _try_postgres(self) -> bool:
        engine = sa_create_engine(
            self.url,
            poolclass=NullPool,
            connect_args={"application_name": "mycelix-indexer", "connect_timeout": 10},
        )
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            query = text("SELECT pg_try_advisory_lock(:key)")
            got = bool(conn.execute(query, {"key": self.key}).scalar())
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def check(self) -> None:
        """Raise `IndexerError` if the lock was lost (its PostgreSQL session ended)."""
        if not self._held:
            raise IndexerError("the indexer does not hold the leader lock")
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
            except Exception as exc:
                self.release()
                raise IndexerError(f"lost the leader lock's database session: {exc}") from exc

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
        if self._conn is not None:
            try:
                self._conn.close()  # NullPool: the session ends, and its lock with it
            finally:
                self._conn = None
        self._held = False

    def __enter__(self) -> LeaderLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

"""Engines and sessions for the catalogue, from one URL.

`Catalog(url)` is what the composition root builds (from `Settings.catalog_url`); nothing
here runs at import time.

SQLite (the embedded default) follows datasette: WAL, so readers never block the writer
nor each other; ``foreign_keys=ON`` (off by default in SQLite); ``busy_timeout`` so a
second process waits instead of failing; ``synchronous=NORMAL`` (durable with WAL up to
the last checkpointed commit on power loss, the usual WAL trade-off). Writes go through
one pooled connection (``pool_size=1``) that opens transactions with ``BEGIN IMMEDIATE``:
writers queue in the pool rather than deadlocking on SQLite's read-to-write lock upgrade.
Reads use a separate small pool whose connections are ``query_only``. A read session does
not see a write session's uncommitted rows — a unit of work that reads what it wrote uses
`write()` throughout. In-memory databases cannot be shared that way and use one
connection for both.

PostgreSQL (``MYCELIX_DATABASE_URL``): psycopg 3; ``postgres://`` and ``postgresql://``
mean ``postgresql+psycopg://``. Bounded pool, bounded waits (the earlier attempt waited
forever for a connection), pre-ping so a restarted server costs one retry, not an error.
Reads and writes share the engine.

Only the request or task boundary commits: `write()` commits when its block succeeds and
rolls back when it raises; repositories and services only flush.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import URL, Engine, event, make_url
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from .sqlfuncs import SQLITE_SUM, DecimalSum

SQLITE_BUSY_TIMEOUT_MS = 5_000
SQLITE_READERS = 4
# FastAPI runs sync endpoints and dependencies on a 40-thread pool; a pool smaller than that
# lets threads that already hold a connection wait for a second one behind threads that hold
# none (seen in bench/api.py: a 30 s stall at ~44 concurrent reads). So allow 40 at peak.
THREADPOOL = 40
PG_POOL: Mapping[str, Any] = {
    "pool_size": 5,
    "max_overflow": THREADPOOL - 5,
    "pool_timeout": 10,  # seconds waiting for a free connection
    "pool_recycle": 1_800,
    "pool_pre_ping": True,
}
PG_CONNECT_TIMEOUT_S = 10


def normalize_url(url: str | URL) -> URL:
    """The URL with its driver made explicit (psycopg 3 for PostgreSQL)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported catalogue database: {parsed.drivername}")
    return parsed


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_engine(url: URL, *, reader: bool, **options: Any) -> Engine:
    memory = is_memory(url)
    if not memory and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False},
        "json_deserializer": _json_loads,
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    elif reader:
        kwargs.update(
            pool_size=SQLITE_READERS, max_overflow=THREADPOOL - SQLITE_READERS, pool_timeout=30
        )
    else:
        kwargs.update(pool_size=1, max_overflow=0, pool_timeout=30)
    kwargs.update(options)
    engine = sa_create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how transactions start.
        dbapi_conn.isolation_level = None
        dbapi_conn.create_aggregate(SQLITE_SUM, 1, DecimalSum)
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if reader and not memory:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    begin = "BEGIN" if reader or memory else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _json_loads(text: str | bytes) -> Any:
    """JSON columns as SQLite hands them over: orjson (a waveform's 1,024 peaks decode ~5×
    faster than with `json`), or `json` for what orjson refuses (a NaN written by `json`)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(url: str | URL, *, reader: bool = False, **options: Any) -> Engine:
    """An engine configured for the catalogue (see module docstring); `options` override
    the engine/pool keyword arguments."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, reader=reader, **options)
    kwargs: dict[str, Any] = dict(PG_POOL)
    kwargs["connect_args"] = {
        "connect_timeout": PG_CONNECT_TIMEOUT_S,
        "application_name": "mycelix",
    }
    kwargs.update(options)
    engine = sa_create_engine(parsed, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # psycopg decodes json/jsonb with `json.loads`; a waveform's peaks ~5× faster this way.
        from psycopg.types.json import set_json_loads

        set_json_loads(_json_loads, dbapi_conn)

    return engine


class Catalog:
    """The catalogue database: a writer engine, a reader engine (the same one on
    PostgreSQL and for in-memory SQLite), and session scopes that own the commit."""

    def __init__(self, url: str | URL, **options: Any) -> None:
        self.url = normalize_url(url)
        self.writer = create_engine(self.url, **options)
        if self.dialect == "sqlite" and not is_memory(self.url):
            self.reader = create_engine(self.url, reader=True, **options)
        else:
            self.reader = self.writer
        self._write = sessionmaker(self.writer, expire_on_commit=False)
        self._read = sessionmaker(self.reader, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work: commits if the block returns, rolls back if it raises."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (on SQLite, `query_only` connections); never commits."""
        with self._read() as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        """Close every pooled connection (end of process, or before a restore)."""
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

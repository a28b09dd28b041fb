"""PostgreSQL: a dump from one exported snapshot, a restore into a staging database, a swap.

pg_dump and pg_restore (``/usr/bin``, or ``$MYCELIX_PG_BIN``) get the connection through libpq
environment variables: a password never appears on a command line (the earlier attempt's
restore printed it).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import URL

from mycelix.catalog.db import normalize_url
from mycelix.indexer.lock import PG_LOCK_KEY

from .errors import BackupError, ServiceRunning
from .snapshot import facts

MAX_IDENTIFIER = 63


def _tool(name: str) -> str:
    folder = os.environ.get("MYCELIX_PG_BIN")
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    found = found or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if not found:
        raise BackupError(
            f"{name} not found (install the PostgreSQL client, or set MYCELIX_PG_BIN)"
        )
    return found


def libpq_env(url: URL, database: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", database or url.database),
    ):
        if value is not None:
            env[key] = str(value)
    return env


def conninfo(url: URL, database: str | None = None) -> str:
    plain = url.set(drivername="postgresql", database=database or url.database)
    return plain.render_as_string(hide_password=False)


def parse(url: str | URL) -> URL:
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        raise BackupError("not a PostgreSQL database URL with a database name")
    return parsed


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {detail}")


@contextmanager
def snapshot(url: URL) -> Iterator[tuple[str, dict[str, Any]]]:
    """Hold a repeatable-read transaction open, yielding its exported snapshot id and the
    catalogue's facts as of that snapshot; `dump(url, snapshot_id, path)` inside the block
    writes exactly that state."""
    try:
        conn = psycopg.connect(conninfo(url), connect_timeout=10, autocommit=False)
    except psycopg.Error as exc:
        raise BackupError(
            f"cannot connect to the catalogue database {url.database}: {exc}"
        ) from exc
    with conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        yield row[0], facts(tables, lambda q: conn.execute(q).fetchall())
        conn.rollback()


def dump(url: URL, snapshot_id: str, target: Path) -> None:
    args = [
        _tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--snapshot={snapshot_id}",
        f"--file={target}",
    ]
    _run(args, libpq_env(url), "pg_dump")


def database_exists(url: URL, name: str) -> bool:
    with _admin(url) as admin:
        return (
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def check_idle(url: URL) -> None:
    """Raise `ServiceRunning` if anything else is connected to the target database."""
    assert url.database
    with _admin(url) as admin:
        holders = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = %s) AND "
            "((classid::bigint << 32) | objid::bigint) = %s AND objsubid = 1",
            (url.database, PG_LOCK_KEY),
        ).fetchone()
        others = admin.execute(
            # Client sessions only: an autovacuum worker is not a service (and gives way).
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            (url.database,),
        ).fetchone()
    assert holders is not None and others is not None
    if holders[0]:
        raise ServiceRunning(
            f"an indexer holds the leader lock on {url.database}: stop `mycelix serve` / "
            "`mycelix indexer run` before restoring"
        )
    if others[0]:
        raise ServiceRunning(
            f"database {url.database} has {others[0]} other connection(s): stop the services "
            "using it before restoring"
        )


@contextmanager
def _admin(url: URL) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the server's maintenance database."""
    last: Exception | None = None
    for database in ("postgres", "template1"):
        try:
            conn = psycopg.connect(conninfo(url, database), connect_timeout=10, autocommit=True)
        except psycopg.Error as exc:
            last = exc
            continue
        with conn:
            yield conn
        return
    raise BackupError(f"cannot connect to the PostgreSQL server of {url.database}: {last}")


def restore_staging(url: URL, dump_file: Path) -> str:
    """pg_restore the dump into a new database beside the target; returns its name."""
    assert url.database
    name = f"{url.database[: MAX_IDENTIFIER - 20]}_restoring_{secrets.token_hex(4)}"
    with _admin(url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        args = [
            _tool("pg_restore"),
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={name}",
            str(dump_file),
        ]
        _run(args, libpq_env(url, name), "pg_restore")
    except BaseException:
        drop(url, name)
        raise
    return name


def staged_facts(url: URL, name: str) -> dict[str, Any]:
    with psycopg.connect(conninfo(url, name), connect_timeout=10) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return facts(tables, lambda q: conn.execute(q).fetchall())


def swap(url: URL, staging: str, aside: str | None) -> str | None:
    """Rename the staging database to the target's name in one transaction; the current
    database (if any) becomes `aside`. Returns the aside name, or None if there was none."""
    assert url.database
    target = url.database
    with _admin(url) as admin, admin.transaction():
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone()
        if exists:
            assert aside is not None
            admin.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(target), sql.Identifier(aside)
                )
            )
        admin.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(staging), sql.Identifier(target)
            )
        )
    return aside if exists else None


def drop(url: URL, name: str) -> None:
    with _admin(url) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

"""A real PostgreSQL for tests: the machine's server, started if it is down.

`admin_url()` returns a URL to the server's maintenance database, or raises
`Unavailable` with the reason (connection error, start failure) so the caller can skip
visibly — or fail, when ``MYCELIX_REQUIRE_POSTGRES=1`` says the run must cover PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import psycopg

ADMIN_URL = os.environ.get(
    "MYCELIX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# The Debian cluster to start when the server is down ($(ls /etc/postgresql)/main).
CLUSTER = os.environ.get("MYCELIX_TEST_POSTGRES_CLUSTER", "main")
START_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 3


class Unavailable(RuntimeError):
    """No PostgreSQL server could be reached or started."""


def _try_connect(url: str) -> Exception | None:
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return exc
    return None


def _start_local_cluster() -> str:
    """Start the Debian cluster with pg_ctlcluster; returns what it said."""
    root = Path("/etc/postgresql")
    versions = sorted((p.name for p in root.iterdir()), key=float) if root.is_dir() else []
    if not versions:
        raise Unavailable("no cluster under /etc/postgresql to start (is postgresql installed?)")
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], CLUSTER, "start"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{' '.join(cmd)} failed: {exc}") from exc
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        # "already running" too: a running server we cannot reach will not become
        # reachable by waiting (wrong port, host or authentication).
        raise Unavailable(f"{' '.join(cmd)} exited {done.returncode}: {output}")
    return output


def admin_url() -> str:
    """The maintenance-database URL of a reachable server (started if needed)."""
    first = _try_connect(ADMIN_URL)
    if first is None:
        return ADMIN_URL
    try:
        started = _start_local_cluster()
    except Unavailable as exc:
        raise Unavailable(f"cannot connect to {ADMIN_URL}: {first}; {exc}") from exc
    deadline = time.monotonic() + START_TIMEOUT_S
    error: Exception | None = first
    while time.monotonic() < deadline:
        error = _try_connect(ADMIN_URL)
        if error is None:
            return ADMIN_URL
        time.sleep(0.5)
    raise Unavailable(
        f"cannot connect to {ADMIN_URL}: {first}; started the local cluster ({started!r}) "
        f"but it did not accept connections within {START_TIMEOUT_S}s: {error}"
    )


def create_database(admin: str, prefix: str = "mycelix_test") -> str:
    """Create a fresh, uniquely named database; returns its URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{prefix}_{worker}_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_database(admin: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

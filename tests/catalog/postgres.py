"""A real PostgreSQL for tests: the machine's server, started if it is down.

`admin_url()` returns a URL to the server's maintenance database, or raises
`Unavailable` with the reason (connection error, start failure) so the caller can skip
visibly — or fail, when ``MYCELIX_REQUIRE_POSTGRES=1`` says the run must cover PostgreSQL.
A server that does not answer is started with Debian's ``pg_ctlcluster`` (the cluster
configured on the URL's port, as ``pg_lsclusters`` lists it); ``./dev test`` installs the
server first on a fresh CI machine (see ``dev``).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from urllib.parse import urlsplit

import psycopg

ADMIN_URL = os.environ.get(
    "MYCELIX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
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


def cluster_for_port(port: int) -> tuple[str, str, str]:
    """(version, name, status) of the Debian cluster configured on `port`, from
    `pg_lsclusters` (which honours PG_CLUSTER_CONF_ROOT, as pg_ctlcluster does)."""
    try:
        listed = subprocess.run(
            ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"pg_lsclusters failed ({exc}); is postgresql installed?") from exc
    rows = [line.split() for line in listed.stdout.splitlines() if line.strip()]
    for row in rows:
        if len(row) >= 4 and row[2] == str(port):
            return row[0], row[1], row[3]
    clusters = ", ".join(f"{r[0]}/{r[1]} on port {r[2]}" for r in rows if len(r) >= 3)
    raise Unavailable(f"no PostgreSQL cluster is configured on port {port} ({clusters or 'none'})")


def start_cluster(port: int) -> str:
    """Start the Debian cluster configured on `port` with pg_ctlcluster; returns what it
    said."""
    version, name, status = cluster_for_port(port)
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{' '.join(cmd)} failed: {exc}") from exc
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        # "already running" too: a running server we cannot reach will not become
        # reachable by waiting (wrong host or authentication).
        raise Unavailable(f"{' '.join(cmd)} exited {done.returncode} (was {status}): {output}")
    return output or f"started cluster {version}/{name}"


def admin_url(url: str = ADMIN_URL) -> str:
    """The maintenance-database URL of a reachable server (its cluster started if needed)."""
    first = _try_connect(url)
    if first is None:
        return url
    port = urlsplit(url).port or 5432
    try:
        started = start_cluster(port)
    except Unavailable as exc:
        raise Unavailable(f"cannot connect to {url}: {first}; {exc}") from exc
    deadline = time.monotonic() + START_TIMEOUT_S
    error: Exception | None = first
    while time.monotonic() < deadline:
        error = _try_connect(url)
        if error is None:
            return url
        time.sleep(0.5)
    raise Unavailable(
        f"cannot connect to {url}: {first}; started the local cluster ({started!r}) "
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

"""A real Redis for tests: the machine's server, started if it is down.

`ensure(url)` returns once a server answers at `url`, starting ``redis-server`` on the
URL's host and port when it does not (keeping nothing on disk), or raises `Unavailable`
with the reason so the caller can skip visibly — or fail, with ``MYCELIX_REQUIRE_REDIS=1``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from urllib.parse import urlsplit

import redis

START_TIMEOUT_S = 10


class Unavailable(RuntimeError):
    """No Redis server could be reached or started."""


def ping(url: str) -> Exception | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return None
    except Exception as exc:
        return exc


def start(url: str) -> None:
    """Start a daemonised redis-server on the URL's host and port (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server is not installed")
    parts = urlsplit(url)
    cmd = [
        binary,
        "--daemonize", "yes",
        "--bind", parts.hostname or "127.0.0.1",
        "--port", str(parts.port or 6379),
        "--save", "",
        "--appendonly", "no",
        "--pidfile", f"/tmp/mycelix-test-redis-{parts.port or 6379}.pid",
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"redis-server failed to start: {exc}") from exc
    if done.returncode != 0:
        raise Unavailable(f"redis-server exited {done.returncode}: {done.stdout}{done.stderr}")


def ensure(url: str) -> None:
    """Return when Redis answers at `url`, starting it if needed; `Unavailable` otherwise."""
    first = ping(url)
    if first is None:
        return
    try:
        start(url)
    except Unavailable as exc:
        raise Unavailable(f"cannot reach {url}: {first}; {exc}") from exc
    deadline = time.monotonic() + START_TIMEOUT_S
    while (error := ping(url)) is not None:
        if time.monotonic() > deadline:
            raise Unavailable(
                f"cannot reach {url}: {first}; started redis-server but it did not answer "
                f"within {START_TIMEOUT_S}s: {error}"
            )
        time.sleep(0.2)

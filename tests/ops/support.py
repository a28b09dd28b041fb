"""Real processes for the operator-tool tests: `mycelix serve`, a throw-away redis-server,
`mycelix` itself run as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.anvil import free_port
from tests.support.serve import serve

MYCELIX = [sys.executable, "-m", "mycelix.cli.main"]


def require_tool(name: str, why: str) -> str:
    """The tool's path. Without it a test skips with the reason, or fails under CI (CI=true)
    or with MYCELIX_REQUIRE_<NAME>=1, where the run must cover it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({why}); `./dev test` installs it as root with apt-get"
        variable = "MYCELIX_REQUIRE_" + name.upper().replace("-", "_")
        if os.environ.get("CI") == "true" or os.environ.get(variable) == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def mycelix(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MYCELIX, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


@contextmanager
def running_serve(data_dir: Path, **env: str) -> Iterator[str]:
    """`mycelix serve --empty` on a free loopback port with an embedded data directory; yields
    its URL."""
    with serve(data_dir, "--empty", env=env) as served:
        yield served.url


@contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server on a free port (never the shared one); yields (url, process)."""
    binary = require_tool("redis-server", "the stopped-dependency test runs its own Redis")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)

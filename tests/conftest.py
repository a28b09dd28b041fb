"""Fixtures shared across test folders: a reachable PostgreSQL (started if needed, skipped with
the reason when impossible — or failed, with MYCELIX_REQUIRE_POSTGRES=1) and Redis likewise."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from tests.catalog import postgres

REDIS_URL = os.environ.get("MYCELIX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    try:
        return postgres.admin_url()
    except postgres.Unavailable as exc:
        if os.environ.get("MYCELIX_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")


@pytest.fixture
def pg_database(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = postgres.create_database(pg_admin_url, prefix="mycelix_api")
    yield url
    postgres.drop_database(pg_admin_url, url)


def _redis_up(url: str) -> Exception | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return None
    except Exception as exc:
        return exc


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis (started locally if the binary exists), database 15, flushed."""
    error = _redis_up(REDIS_URL)
    if error is not None and shutil.which("redis-server"):
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=False,
            capture_output=True,
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while (error := _redis_up(REDIS_URL)) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
    if error is not None:
        if os.environ.get("MYCELIX_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis required but unavailable: {error}")
        pytest.skip(f"Redis unavailable at {REDIS_URL}: {error}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL

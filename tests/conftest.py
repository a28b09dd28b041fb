"""Fixtures shared across test folders: a reachable PostgreSQL and Redis, started if they are
installed but stopped, skipped with the reason when impossible — or failed, when
MYCELIX_REQUIRE_POSTGRES=1 / MYCELIX_REQUIRE_REDIS=1 (CI sets them, see .ci/run)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from mycelix.config import Settings, env_name
from tests import redis_server
from tests.catalog import postgres
from tests.require import NAMES, required, unavailable


def _redis_url() -> str:
    """The test Redis database: MYCELIX_TEST_REDIS_URL, else db 15 — one database per xdist
    worker (15, 14, …), since tests flush theirs."""
    url = os.environ.get("MYCELIX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{(int(db or 0) - int(worker[2:])) % 16}"


REDIS_URL = _redis_url()


def pytest_configure(config: pytest.Config) -> None:
    # Tests build their settings explicitly: a MYCELIX_RPC_URL or MYCELIX_DATABASE_URL in the
    # developer's shell must not redirect them (subprocesses get what a test passes).
    for name in Settings.model_fields:
        os.environ.pop(env_name(name), None)


def pytest_report_header(config: pytest.Config) -> str:
    # In the log of every run: whether a missing server fails the run or skips its tests.
    return "servers: " + ", ".join(
        f"{label} {'required' if required(key) else 'optional (skipped when unavailable)'}"
        for key, label in NAMES.items()
    )


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    try:
        return postgres.admin_url()
    except postgres.Unavailable as exc:
        unavailable("POSTGRES", str(exc))


@pytest.fixture
def pg_database(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = postgres.create_database(pg_admin_url, prefix="mycelix_api")
    yield url
    postgres.drop_database(pg_admin_url, url)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis (started locally if the binary exists), its test database flushed."""
    try:
        redis_server.ensure(REDIS_URL)
    except redis_server.Unavailable as exc:
        unavailable("REDIS", str(exc))
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Long tests first: under `./dev test`'s two workers, each test file runs on one worker,
    # and the longest (the invariant machine, minutes) must not start last and leave the
    # other worker idle. The sort is stable, so files keep their own order otherwise.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

"""The indexer inside `serve` is supervised: when it dies (a handler raises, its database
sessions are killed) it is restarted with backoff; the chain head is sampled on its own, so the
lag metric rises while the indexer is stuck, and `/ready` fails past the lag limit and recovers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

import mycelix.indexer.indexer as indexer_module
from mycelix.api.runtime import Runtime
from mycelix.config import Settings
from mycelix.indexer import HANDLERS
from mycelix.indexer.handlers import ROUTER
from mycelix.indexer.supervisor import IndexerSupervisor
from mycelix.sdk import salt_for

FAST = {"poll_interval": 0.05, "backoff": 0.05, "max_backoff": 0.2}


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def ready(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/ready")
    return response.status_code, response.json()


@pytest.fixture
def open_runtime() -> Iterator[Callable[..., tuple[Runtime, IndexerSupervisor, TestClient]]]:
    opened: list[tuple[Runtime, TestClient]] = []

    def make(**settings: Any) -> tuple[Runtime, IndexerSupervisor, TestClient]:
        runtime = Runtime.open(Settings(**settings), indexer=False)
        supervisor = runtime.start_indexer(**FAST)
        client = TestClient(runtime.app)
        opened.append((runtime, client))
        wait_for(
            lambda: supervisor.status().alive and supervisor.status().lag_blocks == 0,
            what="the indexer to catch up with the deployment",
        )
        return runtime, supervisor, client

    yield make
    for runtime, client in opened:
        client.close()
        runtime.close()


def test_a_handler_that_raises_is_restarted_and_ready_follows_the_lag(
    open_runtime: Callable[..., tuple[Runtime, IndexerSupervisor, TestClient]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime, supervisor, client = open_runtime(data_dir=tmp_path, indexer_max_lag=2)
    p = runtime.platform

    def metric(name: str, **labels: str) -> float | None:
        return p.metrics.registry.get_sample_value(name, labels)

    code, body = ready(client)
    assert code == 200 and body["checks"]["indexer"]["alive"] is True
    assert metric("mycelix_indexer_up") == 1
    assert metric("mycelix_indexer_restarts_total") == 0

    def exploding(ctx: object, event: object) -> None:
        raise RuntimeError("handler exploded on SongRegistered")

    monkeypatch.setattr(
        indexer_module, "HANDLERS", {**HANDLERS, (ROUTER, "SongRegistered"): exploding}
    )
    artist = p.sdk.as_account(p.chain.dev_accounts[1])
    artist.register_song(salt_for("Stuck"), "pay-per-stream-v1")
    wait_for(lambda: supervisor.restarts >= 2, what="two restarts")
    assert "handler exploded" in (supervisor.status().last_error or "")
    assert metric("mycelix_indexer_restarts_total") == supervisor.restarts
    stuck_at = supervisor.status().indexed
    stuck_at_time = metric("mycelix_indexer_last_batch_timestamp_seconds") or 0.0

    # Stuck: blocks keep coming, the lag metric keeps rising, /ready fails past the limit.
    lags = []
    for _ in range(4):
        p.chain.advance_time(1)
        head = p.chain.w3.eth.block_number
        wait_for(lambda h=head: supervisor.status().chain_head == h, what="the head sampler")
        lags.append(metric("mycelix_indexer_lag_blocks"))
    assert lags == sorted(lags) and lags[-1] == lags[0] + 3 and lags[-1] > 2
    code, body = ready(client)
    assert code == 503 and body["status"] == "not ready"
    indexer = body["checks"]["indexer"]
    assert indexer["ok"] is False and indexer["lag_blocks"] == lags[-1]
    assert indexer["max_lag_blocks"] == 2 and "handler exploded" in indexer["last_error"]
    assert supervisor.status().indexed == stuck_at
    assert metric("mycelix_indexer_events_total", event="SongRegistered") is None

    # Fixed: the next restart indexes the song and catches up; /ready recovers.
    monkeypatch.setattr(indexer_module, "HANDLERS", HANDLERS)
    wait_for(
        lambda: supervisor.status().alive and supervisor.status().lag_blocks == 0,
        what="the restarted indexer to catch up",
    )
    code, body = ready(client)
    assert code == 200 and body["checks"]["indexer"]["ok"] is True
    assert body["checks"]["indexer"]["last_batch_age_s"] < 30
    assert metric("mycelix_indexer_events_total", event="SongRegistered") == 1
    assert metric("mycelix_indexer_lag_blocks") == 0
    assert metric("mycelix_indexer_up") == 1
    assert metric("mycelix_indexer_last_batch_timestamp_seconds") > stuck_at_time


def test_killed_database_sessions_restart_the_indexer(
    open_runtime: Callable[..., tuple[Runtime, IndexerSupervisor, TestClient]],
    tmp_path: Path,
    pg_admin_url: str,
    pg_database: str,
) -> None:
    runtime, supervisor, client = open_runtime(data_dir=tmp_path, database_url=pg_database)
    p = runtime.platform
    # Every session on the catalogue, the leader lock's included.
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (pg_database.rsplit("/", 1)[1],),
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    p.chain.advance_time(1)  # a block to index: its batch finds the lock gone
    wait_for(lambda: supervisor.restarts >= 1, what="a restart")
    assert "lost the leader lock" in (supervisor.status().last_error or "")
    head = p.chain.w3.eth.block_number
    wait_for(
        lambda: supervisor.status().alive and supervisor.status().indexed == head,
        what="the restarted indexer to index the new block",
    )
    code, body = ready(client)
    assert code == 200 and body["checks"]["indexer"]["restarts"] == supervisor.restarts

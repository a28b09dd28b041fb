"""A real Prometheus (the Debian package) scrapes a running service configured by `mycelix
monitor`: after a scripted economy, every dashboard panel's query returns data and every alert
rule evaluates cleanly. Grafana is not packaged here, so its panels are checked this way."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from mycelix.api.app import create_app
from mycelix.config import Settings
from mycelix.ops.monitor import ALERTS, PANELS, MonitorOptions, write_monitoring
from mycelix.platform import Platform
from tests.api.test_metrics import test_scripted_flow_moves_every_family as drive_every_family
from tests.support.anvil import free_port

from .support import require_tool


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API served by uvicorn on loopback, after a flow that touches every metric family."""
    platform = Platform.open(
        Settings(
            data_dir=tmp_path_factory.mktemp("prometheus-service"),
            # The flow signs in through TestClient, whose origin is http://testserver.
            public_origins=["http://testserver"],
        )
    )
    a = platform.chain.dev_accounts
    accounts = {"owner": a[0], "artist": a[1], "listener": a[2], "producer": a[3], "patron": a[4]}
    with TestClient(create_app(platform)) as client:
        drive_every_family(platform, client, accounts)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    platform.close()


@pytest.fixture(scope="module")
def prometheus(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = require_tool("prometheus", "the dashboard's queries run against a real Prometheus")
    root = tmp_path_factory.mktemp("prometheus")
    options = MonitorOptions(
        targets=(service,), alertmanager=f"127.0.0.1:{free_port()}", scrape_interval="1s"
    )
    write_monitoring(root / "config", options)
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={root / 'config' / 'prometheus.yml'}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def query(prometheus: str, expr: str) -> list[dict]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", f"{expr}: {answer}"
    return answer["data"]["result"]


def test_every_dashboard_panel_returns_data(prometheus: str) -> None:
    deadline = time.monotonic() + 60
    empty = [p.title for p in PANELS]
    while empty and time.monotonic() < deadline:
        time.sleep(1)
        empty = [p.title for p in PANELS if p.title in empty and not query(prometheus, p.expr)]
    assert not empty, f"panels without data: {empty}"
    assert query(prometheus, 'up{job="mycelix"}')[0]["value"][1] == "1"


def test_every_alert_rule_evaluates_cleanly(prometheus: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = {r["name"]: r for g in groups for r in g["rules"]}
        if all(r.get("lastEvaluation", "").startswith("2") for r in rules.values()) and rules:
            break
        assert time.monotonic() < deadline, "rules were not evaluated"
        time.sleep(1)
    assert set(rules) == {a.name for a in ALERTS}
    assert {name: r["health"] for name, r in rules.items()} == dict.fromkeys(rules, "ok")
    # A healthy service fires none of them.
    assert {name: r["state"] for name, r in rules.items()} == dict.fromkeys(rules, "inactive")

"""`mycelix serve` as a real server process: the API answers on loopback, the embedded indexer
follows the chain, `--get` answers one request in-process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

from mycelix.config import Settings
from mycelix.sdk import connect
from tests.support.anvil import free_port

from .test_replicas import _wait_ready


def test_serve_get_answers_one_request(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "mycelix.cli.main", "serve", "--data-dir", str(tmp_path), "--get"]
    ok = subprocess.run([*cmd, "/health"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and '"ok"' in ok.stdout
    missing = subprocess.run(
        [*cmd, "/api/songs/0x" + "00" * 32], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 1
    assert "404" in missing.stderr


def test_served_api_runs_the_indexer(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MYCELIX_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--empty", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        assert httpx.get(f"{url}/ready", timeout=10).json()["status"] == "ready"
        assert httpx.get(f"{url}/api/strategies").status_code == 200
        # The embedded indexer catches up with the deployment's blocks.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = httpx.get(f"{url}/metrics").text.splitlines()
            head = [
                float(x.split()[1]) for x in lines if x.startswith("mycelix_indexer_head_block ")
            ]
            chain = [
                float(x.split()[1]) for x in lines if x.startswith("mycelix_chain_head_block ")
            ]
            if head and chain and head[0] == chain[0] > 0:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the embedded indexer did not catch up with the chain")
    finally:
        server.terminate()
        server.wait(timeout=20)
    # Stopped cleanly: the chain, deployment and catalogue are there for the next process.
    with connect(Settings(data_dir=tmp_path)) as (sdk, chain):
        listener = sdk.as_account(chain.dev_accounts[2])
        listener.faucet(Decimal(1))
        assert listener.flow_balance() == 10**18

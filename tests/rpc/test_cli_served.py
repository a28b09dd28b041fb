"""The CLI's chain commands while `mycelix serve` holds the embedded chain: they go through the
server's /rpc (announced in DATA_DIR/server.json) instead of failing on the chain's lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from web3 import Web3

from mycelix.chain.embedded import ChainLockedError, EmbeddedChain
from mycelix.config import Settings
from mycelix.rpc.served import SERVER_FILENAME, open_chain_or_server
from tests.api.test_replicas import _wait_ready
from tests.support.anvil import free_port

from .conftest import Served


def mycelix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mycelix.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_the_server_announces_itself_in_the_data_dir(served: Served) -> None:
    record = json.loads((served.data_dir / SERVER_FILENAME).read_text())
    assert record == {"url": served.url, "rpc_url": served.rpc_url, "pid": served.process.pid}


def test_chain_status_goes_through_the_running_server(served: Served) -> None:
    result = mycelix("chain", "status", "--data-dir", str(served.data_dir))
    assert result.returncode == 0, result.stderr
    assert f"through the server at {served.url}" in result.stdout
    assert "chain id   31337" in result.stdout
    assert "deployment verified" in result.stdout


def test_chain_advance_moves_the_served_chains_time_exactly(served: Served) -> None:
    w3 = Web3(Web3.HTTPProvider(served.rpc_url))
    before = w3.eth.get_block("latest")
    result = mycelix("chain", "advance", "3600", "--data-dir", str(served.data_dir))
    assert result.returncode == 0, result.stderr
    after = w3.eth.get_block("latest")
    assert after["number"] == before["number"] + 1
    assert after["timestamp"] == before["timestamp"] + 3600
    assert f"block time now {after['timestamp']}" in result.stdout


def test_deploy_verifies_through_the_running_server(served: Served) -> None:
    result = mycelix("deploy", "--data-dir", str(served.data_dir))
    assert result.returncode == 0, result.stderr
    assert "verified (nothing changed)" in result.stdout
    assert served.manifest.router in result.stdout


def test_a_stale_announcement_is_not_followed(tmp_path: Path) -> None:
    """A crashed server leaves server.json behind; another process holding the lock is not
    that server, so the CLI says the chain is locked instead of calling a stranger."""
    settings = Settings(data_dir=tmp_path)
    stale = {"url": "http://127.0.0.1:9", "rpc_url": "http://127.0.0.1:9/rpc", "pid": 1}
    (tmp_path / SERVER_FILENAME).write_text(json.dumps(stale))
    with (
        EmbeddedChain.open(settings.chain_dir),
        pytest.raises(ChainLockedError, match="no running `mycelix serve` announces itself"),
    ):
        open_chain_or_server(settings)


def test_a_clean_stop_removes_the_announcement_and_frees_the_chain(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--empty", "--port", str(port)],
        env={**os.environ, "MYCELIX_DATA_DIR": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        assert (tmp_path / SERVER_FILENAME).exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (tmp_path / SERVER_FILENAME).exists()
    result = mycelix("chain", "status", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"kind       embedded ({tmp_path / 'chain'})\n" in result.stdout

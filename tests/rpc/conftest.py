"""A real `mycelix serve` on a free loopback port (embedded chain, deployed on start), and the
same deployment on anvil, for comparing /rpc's answers with a real node's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.sdk import connect
from tests.api.test_replicas import _wait_ready
from tests.require import require_anvil
from tests.support.anvil import free_port, run_anvil


@dataclass
class Served:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def rpc_url(self) -> str:
        return f"{self.url}/rpc"

    @property
    def manifest(self) -> Manifest:
        return Manifest.load(Settings(data_dir=self.data_dir).manifest_path)


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("served")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--empty", "--port", str(port)],
        env={**os.environ, "MYCELIX_DATA_DIR": str(data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Served(url, data_dir, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class AnvilDeployment:
    url: str
    manifest: Manifest
    data_dir: Path


@pytest.fixture(scope="package")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilDeployment]:
    require_anvil()
    data_dir = tmp_path_factory.mktemp("anvil")
    with run_anvil() as url:
        with connect(Settings(data_dir=data_dir, rpc_url=url), deploy=True) as (sdk, _chain):
            manifest = sdk.manifest
        yield AnvilDeployment(url, manifest, data_dir)

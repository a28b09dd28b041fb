"""A real `mycelix serve` on a free loopback port (embedded chain, deployed on start), and the
same deployment on anvil, for comparing /rpc's answers with a real node's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.sdk import connect
from tests.require import require_anvil
from tests.support.anvil import run_anvil
from tests.support.serve import Served, serve


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("served"), "--empty") as running:
        yield running


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

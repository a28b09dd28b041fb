"""One populated node per session, copied for each test (deploying and running an economy
takes a while on this machine); the PostgreSQL variant shares its chain and content."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mycelix.config import Settings
from mycelix.platform import Platform
from tests.catalog import postgres

from .support import copy_node, describe, index, populate


@pytest.fixture(scope="session")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node's data directory on the embedded defaults (SQLite catalogue): never modified."""
    data_dir = tmp_path_factory.mktemp("golden") / "data"
    populate(Settings(data_dir=data_dir))
    return data_dir


@pytest.fixture
def node(golden: Path, tmp_path: Path) -> Settings:
    """A fresh copy of the golden node, at `tmp_path/node/data`."""
    return Settings(data_dir=copy_node(golden, tmp_path / "node" / "data"))


@pytest.fixture(scope="session")
def golden_pg(
    golden: Path, pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The same chain, with its catalogue on PostgreSQL (indexed and described there)."""
    data_dir = tmp_path_factory.mktemp("golden_pg") / "data"
    data_dir.mkdir()
    shutil.copytree(golden / "chain", data_dir / "chain")
    shutil.copy2(golden / "deployment.json", data_dir / "deployment.json")
    url = postgres.create_database(pg_admin_url, prefix="mycelix_backup_golden")
    settings = Settings(data_dir=data_dir, database_url=url)
    platform = Platform.open(settings)
    try:
        index(platform)
        describe(platform, 3)
    finally:
        platform.close()
    yield settings
    postgres.drop_database(pg_admin_url, url)


@pytest.fixture
def node_pg(golden_pg: Settings, pg_admin_url: str, tmp_path: Path) -> Iterator[Settings]:
    """A fresh copy of the PostgreSQL node: data directory and database."""
    assert golden_pg.database_url
    source = golden_pg.database_url.rsplit("/", 1)[1]
    url = postgres.create_database(pg_admin_url, prefix="mycelix_backup")
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    data_dir = copy_node(golden_pg.data_dir, tmp_path / "node" / "data")
    yield Settings(data_dir=data_dir, database_url=url)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        # The restore's staging and set-aside databases too.
        leftovers = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{name[:40]}%",)
        ).fetchall()
    for (leftover,) in leftovers:
        postgres.drop_database(pg_admin_url, url.rsplit("/", 1)[0] + "/" + leftover)

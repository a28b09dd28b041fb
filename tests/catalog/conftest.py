"""Catalogue tests run on both databases: SQLite (a file in a temp dir) and a real
PostgreSQL (a fresh database per test session and xdist worker, dropped at the end).

Each backend's database is migrated once; every test gets a session inside a transaction
that is rolled back afterwards (repositories only flush, so nothing escapes). If
PostgreSQL can neither be reached nor started, its tests are skipped with the reason —
or fail, with MYCELIX_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mycelix.catalog.db import create_engine
from mycelix.catalog.migrate import migrate

from . import postgres

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (or xdist worker)."""
    url = postgres.create_database(pg_admin_url)
    yield url
    postgres.drop_database(pg_admin_url, url)


def fresh_url(request: pytest.FixtureRequest, backend: str, tmp: object) -> str:
    """An empty database of `backend` (SQLite file or a new PostgreSQL database)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp}/catalog.sqlite3"
    admin = request.getfixturevalue("pg_admin_url")
    url = postgres.create_database(admin, prefix="mycelix_scratch")
    request.addfinalizer(lambda: postgres.drop_database(admin, url))
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def catalog_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated catalogue shared by the session's tests on one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('catalog') / 'catalog.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def engine(catalog_url: str) -> Iterator[Engine]:
    engine = create_engine(catalog_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session in a transaction rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name

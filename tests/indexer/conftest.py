"""Indexer tests: catalogues on SQLite (default) and PostgreSQL (where cheap), chains on
the embedded py-evm chain and on anvil as a real node."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mycelix.catalog import Catalog, migrate

from ..catalog import postgres

MakeCatalog = Callable[..., Catalog]


@pytest.fixture
def make_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeCatalog]:
    """`make_catalog()`: a fresh, migrated, empty SQLite catalogue;
    `make_catalog(pg_admin_url)`: the same on a new PostgreSQL database. (A test that wants
    PostgreSQL asks for the shared `pg_admin_url` fixture itself: fetching a session fixture
    from inside a function fixture upsets titanoboa's snapshot stack.)"""
    made: list[Catalog] = []
    databases: list[tuple[str, str]] = []

    def make(pg_admin_url: str | None = None) -> Catalog:
        if pg_admin_url is None:
            url = f"sqlite:///{tmp_path_factory.mktemp('catalog') / 'catalog.sqlite3'}"
        else:
            url = postgres.create_database(pg_admin_url, prefix="mycelix_indexer")
            databases.append((pg_admin_url, url))
        migrate(url)
        catalog = Catalog(url)
        made.append(catalog)
        return catalog

    yield make
    for catalog in made:
        catalog.dispose()
    for admin, url in databases:
        postgres.drop_database(admin, url)

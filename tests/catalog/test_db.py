"""Engine configuration and the commit boundary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mycelix.catalog import Catalog, migrate
from mycelix.catalog.db import normalize_url
from mycelix.catalog.repositories import ArtistRepository

from .factories import address


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="unsupported"):
        normalize_url("mysql://u@h/db")


@pytest.fixture
def sqlite_catalog(tmp_path: Path) -> Iterator[Catalog]:
    url = f"sqlite:///{tmp_path / 'data' / 'catalog.sqlite3'}"  # parent created on demand
    migrate(url)
    catalog = Catalog(url)
    yield catalog
    catalog.dispose()


def test_sqlite_pragmas(sqlite_catalog: Catalog) -> None:
    with sqlite_catalog.write() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    with sqlite_catalog.read() as session:
        assert session.execute(text("PRAGMA query_only")).scalar() == 1


def test_reader_cannot_write(sqlite_catalog: Catalog) -> None:
    with pytest.raises(OperationalError, match="readonly"), sqlite_catalog.read() as session:
        ArtistRepository(session).ensure(address("artist"))
        session.flush()


def test_write_commits_on_success_and_rolls_back_on_error(sqlite_catalog: Catalog) -> None:
    artist, other = address("artist"), address("collaborator")
    with sqlite_catalog.write() as session:
        ArtistRepository(session).update_profile(artist, name="The Artist")
    with pytest.raises(RuntimeError, match="request failed"), sqlite_catalog.write() as session:
        ArtistRepository(session).update_profile(other, name="Never")
        raise RuntimeError("request failed")
    with sqlite_catalog.read() as session:
        repo = ArtistRepository(session)
        found = repo.get(artist)
        assert found is not None and found.name == "The Artist"
        assert repo.get(other) is None


def test_catalog_on_both_backends(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    try:
        artist = address(f"artist-{catalog.dialect}-commit")
        with catalog.write() as session:
            ArtistRepository(session).update_profile(artist, name="Committed")
        with catalog.read() as session:
            found = ArtistRepository(session).get(artist)
            assert found is not None and found.name == "Committed"
        with catalog.write() as session:  # leave the shared database as we found it
            session.delete(ArtistRepository(session).require(artist))
    finally:
        catalog.dispose()


def test_in_memory_sqlite_shares_one_database() -> None:
    catalog = Catalog("sqlite://")
    try:
        assert catalog.reader is catalog.writer
        with catalog.write() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        with catalog.read() as session:
            assert session.execute(text("SELECT x FROM t")).scalar() == 1
    finally:
        catalog.dispose()

"""The migration creates exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mycelix.catalog.db import create_engine
from mycelix.catalog.migrate import alembic_config, head_revision, migrate
from mycelix.catalog.models import Base

from .conftest import BACKENDS, fresh_url


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_url(request, request.param, tmp_path)


def _diff(url: str, metadata: sa.MetaData) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_models_and_migration_agree(empty_url: str) -> None:
    assert migrate(empty_url) == head_revision() == "0003"
    assert _diff(empty_url, Base.metadata) == []


def test_comparison_would_notice_a_difference(empty_url: str) -> None:
    """Guards the test above against comparing nothing."""
    migrate(empty_url)
    altered = sa.MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(altered)
    altered.tables["payments"].c.amount.type = sa.Numeric(40, 0)
    sa.Table("extra", altered, sa.Column("id", sa.Integer, primary_key=True))
    # compare_metadata gives ("add_table", ...) tuples, and lists of column changes
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in _diff(empty_url, altered)}
    assert {"add_table", "modify_type"} <= kinds


def test_migrate_is_idempotent_and_downgrades(empty_url: str) -> None:
    migrate(empty_url)
    assert migrate(empty_url) == "0003"
    engine = create_engine(empty_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
    finally:
        engine.dispose()
    assert migrate(empty_url) == "0003"

"""Schema migrations with Alembic, driven from code (no alembic.ini to keep in sync).

`migrate(url)` upgrades a catalogue to the newest revision; `mycelix init` and `serve`
call it, and it is safe to call on every start: all revisions run in one transaction, so
a failure leaves the previous schema, and concurrent starts are serialised (PostgreSQL:
an advisory lock; SQLite: the writer's ``BEGIN IMMEDIATE``).

Revisions live in ``migrations/versions`` and are written out explicitly, reviewed like
code. To start a new one after changing models.py, from a checkout::

    python -c "from mycelix.catalog.migrate import revision; revision('what changed')"

which autogenerates a draft against a scratch SQLite database at head; edit it so it is
right on both databases, and `tests/catalog/test_migrations.py` checks models and
migrations agree on both.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, text

from .db import create_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Arbitrary, fixed key of the PostgreSQL advisory lock held while migrating.
MIGRATION_LOCK_KEY = 0x6D7963656C6978  # "mycelix"


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration for the catalogue's migrations (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest revision id shipped with this version of the package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_connection(connection: Connection, target: str = "head") -> None:
    """Upgrade through an open connection, inside the caller's transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def migrate(url: str | URL, target: str = "head") -> str | None:
    """Create or upgrade the catalogue at `url` to `target`; returns the revision reached."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade_connection(connection, target)
            return current_revision(connection)
    finally:
        engine.dispose()


def revision(message: str) -> None:
    """Draft a new revision by autogenerate against a scratch SQLite database (dev tool)."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'draft.sqlite3'}"
        migrate(url)
        command.revision(alembic_config(url), message=message, autogenerate=True)

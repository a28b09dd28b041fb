"""Backup and restore with the catalogue on PostgreSQL (the running server; a fresh database
per test): pg_dump from the snapshot the row counts were read in, pg_restore into a staging
database, then a rename swap."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from mycelix.cli.main import app
from mycelix.config import Settings
from mycelix.indexer.lock import LeaderLock
from tests.catalog import postgres

from .support import catalogue_rows, fingerprint, flip_byte

runner = CliRunner()


def backup(node: Settings, backups: Path) -> Path:
    result = runner.invoke(
        app,
        ["backup", "--data-dir", str(node.data_dir), "--dir", str(backups), "--json"],
        env={"MYCELIX_DATABASE_URL": node.database_url, "MYCELIX_BACKUP_PASSPHRASE": ""},
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["catalog"]["dialect"] == "postgresql"
    return Path(summary["archive"])


def restore(node: Settings, archive: Path, *extra: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        ["restore", str(archive), "--data-dir", str(node.data_dir), "--yes", "--json", *extra],
        env={"MYCELIX_DATABASE_URL": node.database_url},
    )


def database_names(admin: str, like: str) -> list[str]:
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1", (like,)
        ).fetchall()
    return [r[0] for r in rows]


def test_backup_drop_the_database_restore(
    node_pg: Settings, pg_admin_url: str, tmp_path: Path
) -> None:
    before = fingerprint(node_pg)
    assert before["catalogue"]["songs"] and before["catalogue"]["payments"]
    archive = backup(node_pg, tmp_path / "backups")
    assert node_pg.database_url
    postgres.drop_database(pg_admin_url, node_pg.database_url)

    result = restore(node_pg, archive)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["previous_database"] is None
    assert fingerprint(node_pg) == before


def test_backup_delete_the_data_dir_restore(
    node_pg: Settings, pg_admin_url: str, tmp_path: Path
) -> None:
    before = fingerprint(node_pg)
    archive = backup(node_pg, tmp_path / "backups")
    shutil.rmtree(node_pg.data_dir)

    result = restore(node_pg, archive)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # The database still existed: it was replaced, and kept aside under another name.
    aside = summary["previous_database"]
    assert aside and aside in database_names(pg_admin_url, "%_pre_restore_%")
    assert fingerprint(node_pg) == before


def test_restore_into_a_different_database(
    node_pg: Settings, pg_admin_url: str, tmp_path: Path
) -> None:
    before = fingerprint(node_pg)
    archive = backup(node_pg, tmp_path / "backups")
    assert node_pg.database_url
    other_url = node_pg.database_url + "_copy"
    elsewhere = Settings(data_dir=tmp_path / "elsewhere", database_url=other_url)
    try:
        result = runner.invoke(
            app,
            [
                "restore",
                str(archive),
                "--data-dir",
                str(elsewhere.data_dir),
                "--database-url",
                other_url,
                "--yes",
            ],
        )
        assert result.exit_code == 0, result.output
        assert fingerprint(elsewhere) == before
        assert fingerprint(node_pg) == before
    finally:
        postgres.drop_database(pg_admin_url, other_url)


def test_a_flipped_byte_leaves_the_database_untouched(
    node_pg: Settings, pg_admin_url: str, tmp_path: Path
) -> None:
    archive = backup(node_pg, tmp_path / "backups")
    assert node_pg.database_url
    with psycopg.connect(node_pg.database_url, autocommit=True) as conn:
        conn.execute("UPDATE songs SET title = 'renamed after the backup' WHERE title <> ''")
    before = fingerprint(node_pg)
    flip_byte(archive, archive.stat().st_size // 3)

    result = restore(node_pg, archive)

    assert result.exit_code == 1
    assert "the archive is corrupt" in result.output
    assert fingerprint(node_pg) == before
    assert database_names(pg_admin_url, "%_restoring_%") == []


def test_restore_refuses_a_database_in_use(node_pg: Settings, tmp_path: Path) -> None:
    archive = backup(node_pg, tmp_path / "backups")
    assert node_pg.database_url
    with psycopg.connect(node_pg.database_url, autocommit=True) as service:
        service.execute("DELETE FROM plays")  # the service wrote after the backup
        before = catalogue_rows(node_pg.database_url)
        result = restore(node_pg, archive)
    assert result.exit_code == 1
    assert "other connection(s): stop the services using it before restoring" in result.output
    assert catalogue_rows(node_pg.database_url) == before


def test_a_postgresql_archive_needs_a_postgresql_target(node_pg: Settings, tmp_path: Path) -> None:
    archive = backup(node_pg, tmp_path / "backups")
    sqlite_target = tmp_path / "sqlite-node"
    result = runner.invoke(
        app,
        ["restore", str(archive), "--data-dir", str(sqlite_target), "--yes"],
        env={"MYCELIX_DATABASE_URL": ""},
    )
    assert result.exit_code == 1
    assert "holds a PostgreSQL catalogue" in result.output
    assert not sqlite_target.exists()


def test_restore_refuses_a_running_indexer(node_pg: Settings, tmp_path: Path) -> None:
    archive = backup(node_pg, tmp_path / "backups")
    assert node_pg.database_url
    with LeaderLock(node_pg.database_url):
        result = restore(node_pg, archive)
    assert result.exit_code == 1
    assert "an indexer holds the leader lock" in result.output


def test_an_unreachable_database_is_one_error_line(node_pg: Settings, tmp_path: Path) -> None:
    assert node_pg.database_url
    missing = node_pg.database_url + "_does_not_exist"
    result = runner.invoke(
        app,
        ["backup", "--data-dir", str(node_pg.data_dir), "--dir", str(tmp_path / "backups")],
        env={"MYCELIX_DATABASE_URL": missing, "MYCELIX_BACKUP_PASSPHRASE": ""},
    )
    assert result.exit_code == 1
    assert "cannot connect to the catalogue database" in result.output
    assert list((tmp_path / "backups").iterdir()) == []  # no partial archive, no scratch directory

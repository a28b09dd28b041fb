"""`mycelix backup` / `mycelix restore` on the embedded defaults (SQLite catalogue), run as
an operator would: the round trip gives back the same node; a damaged archive, a wrong
passphrase or a running node are refused and leave the current data exactly as it was."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mycelix.backup.archive import TRAILER_SIZE
from mycelix.backup.encrypt import HEADER_SIZE
from mycelix.cli.main import app
from mycelix.config import Settings
from mycelix.platform import Platform
from mycelix.storage import LocalContentStore

from .support import fingerprint, flip_byte

runner = CliRunner()
PASSPHRASE = "correct horse battery staple"


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> object:
    return runner.invoke(app, list(args), env=env, input=input)


def backup(node: Settings, backups: Path, *extra: str, env: dict[str, str] | None = None) -> Path:
    result = runner.invoke(
        app,
        ["backup", "--data-dir", str(node.data_dir), "--dir", str(backups), "--json", *extra],
        env={"MYCELIX_BACKUP_PASSPHRASE": "", **(env or {})},
    )
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.stdout)["archive"])


def restore(node: Settings, archive: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        ["restore", str(archive), "--data-dir", str(node.data_dir), "--yes", *extra],
        env=env,
    )


def changed_after_backup(node: Settings) -> None:
    """A content object stored after the backup: a refused restore must leave it there."""
    asyncio.run(LocalContentStore(node.content_dir).put(b"uploaded after the backup"))


def leftovers(node: Settings) -> list[str]:
    """Staging directories a restore left next to the data directory."""
    return sorted(p.name for p in node.data_dir.parent.iterdir() if ".restoring-" in p.name)


def test_backup_delete_restore_gives_back_the_same_node(node: Settings, tmp_path: Path) -> None:
    before = fingerprint(node)
    assert before["catalogue"]["songs"] and before["catalogue"]["payments"]
    assert len(before["content"]) >= 9  # audio, cover and peaks of three songs
    archive = backup(node, tmp_path / "backups")
    assert archive.name.endswith(".tar") and oct(archive.stat().st_mode & 0o777) == "0o600"

    shutil.rmtree(node.data_dir)
    result = restore(node, archive, "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["previous_data_dir"] is None  # there was nothing to keep
    assert summary["chain"]["head_number"] == before["chain"]["head"][0]
    assert fingerprint(node) == before
    # The restored node starts: its deployment verifies against its chain.
    Platform.open(node, deploy=False).close()


def test_restore_keeps_the_previous_data_and_files_the_archive_does_not_cover(
    node: Settings, tmp_path: Path
) -> None:
    before = fingerprint(node)
    archive = backup(node, tmp_path / "backups")
    (node.data_dir / "operator-notes.txt").write_text("kept across restores\n")
    # Data written after the backup: the restore rolls it back, and keeps it aside.
    (node.data_dir / "deployment.json").write_text("{}")

    result = restore(node, archive, "--json")

    assert result.exit_code == 0, result.output
    previous = Path(json.loads(result.stdout)["previous_data_dir"])
    assert (previous / "deployment.json").read_text() == "{}"
    assert (node.data_dir / "operator-notes.txt").read_text() == "kept across restores\n"
    assert fingerprint(node) == before
    assert leftovers(node) == []


def test_restore_into_a_different_data_dir(node: Settings, tmp_path: Path) -> None:
    before = fingerprint(node)
    archive = backup(node, tmp_path / "backups")
    elsewhere = Settings(data_dir=tmp_path / "elsewhere" / "data")

    result = restore(elsewhere, archive, "--discard-previous")

    assert result.exit_code == 0, result.output
    assert fingerprint(elsewhere) == before
    assert fingerprint(node) == before


def test_encrypted_round_trip(node: Settings, tmp_path: Path) -> None:
    before = fingerprint(node)
    env = {"MYCELIX_BACKUP_PASSPHRASE": PASSPHRASE}
    archive = backup(node, tmp_path / "backups", env=env)
    assert archive.name.endswith(".tar.enc")
    assert b"MANIFEST.json" not in archive.read_bytes()
    shutil.rmtree(node.data_dir)

    result = restore(node, archive, env=env)

    assert result.exit_code == 0, result.output
    assert fingerprint(node) == before


def test_the_passphrase_prompt_asks_twice(node: Settings, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["backup", "--data-dir", str(node.data_dir), "--dir", str(tmp_path), "--encrypt"],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        env={"MYCELIX_BACKUP_PASSPHRASE": ""},
    )
    assert result.exit_code == 0, result.output
    (archive,) = tmp_path.glob("*.tar.enc")
    verify = runner.invoke(app, ["restore", str(archive), "--verify-only"], input=f"{PASSPHRASE}\n")
    assert verify.exit_code == 0, verify.output
    assert "archive verified" in verify.stdout


def test_a_wrong_passphrase_is_refused_and_nothing_changes(node: Settings, tmp_path: Path) -> None:
    archive = backup(node, tmp_path / "backups", env={"MYCELIX_BACKUP_PASSPHRASE": PASSPHRASE})
    changed_after_backup(node)
    before = fingerprint(node)

    result = restore(node, archive, env={"MYCELIX_BACKUP_PASSPHRASE": "not the passphrase"})

    assert result.exit_code == 1
    assert "wrong passphrase for" in result.output
    assert fingerprint(node) == before
    assert leftovers(node) == []


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("where", ["header", "middle", "tail"])
def test_a_flipped_byte_is_refused_and_nothing_changes(
    node: Settings, tmp_path: Path, encrypted: bool, where: str
) -> None:
    env = {"MYCELIX_BACKUP_PASSPHRASE": PASSPHRASE if encrypted else ""}
    archive = backup(node, tmp_path / "backups", env=env)
    size = archive.stat().st_size
    # header: backup.json's tar header (encrypted: the encryption header's salt); middle:
    # inside the catalogue or chain copy; tail: the trailer (encrypted: the last chunk).
    assert HEADER_SIZE > 20 and size - 40 > size - TRAILER_SIZE
    offset = {"header": 20, "middle": size // 2, "tail": size - 40}[where]
    flip_byte(archive, offset)
    changed_after_backup(node)
    before = fingerprint(node)

    result = restore(node, archive, env=env)

    assert result.exit_code == 1, result.output
    assert "error:" in result.output
    assert any(
        reason in result.output
        for reason in ("is corrupt", "header is damaged", "or was tampered with", "corrupt, or not")
    ), result.output
    assert fingerprint(node) == before
    assert leftovers(node) == []


def test_restore_refuses_a_running_node(node: Settings, tmp_path: Path) -> None:
    archive = backup(node, tmp_path / "backups")
    platform = Platform.open(node, deploy=False)  # what `mycelix serve` holds: the chain lock
    try:
        result = restore(node, archive)
        assert result.exit_code == 1
        assert "is locked by pid" in result.output and "stop it before restoring" in result.output
    finally:
        platform.close()
    assert leftovers(node) == []


def test_errors_are_one_line_and_exit_1(node: Settings, tmp_path: Path) -> None:
    missing = run("backup", "--data-dir", str(tmp_path / "nothing-here"), "--dir", str(tmp_path))
    assert missing.exit_code == 1 and "no data directory at" in missing.output

    inside = run("backup", "--data-dir", str(node.data_dir), "--dir", str(node.data_dir / "b"))
    assert inside.exit_code == 1 and "must not be inside" in inside.output

    no_archive = run("restore", str(tmp_path / "absent.tar"), "--data-dir", str(node.data_dir))
    assert no_archive.exit_code == 1 and "no archive at" in no_archive.output

    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not an archive" * 100)
    refused = run("restore", str(junk), "--data-dir", str(node.data_dir), "--yes")
    assert refused.exit_code == 1 and "corrupt, or not a Mycelix archive" in refused.output

    encrypted = backup(node, tmp_path / "b", env={"MYCELIX_BACKUP_PASSPHRASE": PASSPHRASE})
    no_passphrase = runner.invoke(
        app,
        ["restore", str(encrypted), "--verify-only"],
        env={"MYCELIX_BACKUP_PASSPHRASE": ""},
        input="",
    )
    assert no_passphrase.exit_code == 1


def test_a_sqlite_catalogue_outside_the_data_dir(node: Settings, tmp_path: Path) -> None:
    elsewhere = tmp_path / "db" / "catalog.sqlite3"
    elsewhere.parent.mkdir()
    shutil.move(node.data_dir / "catalog.sqlite3", elsewhere)
    moved = Settings(data_dir=node.data_dir, database_url=f"sqlite:///{elsewhere}")
    before = fingerprint(moved)
    archive = backup(moved, tmp_path / "backups", env={"MYCELIX_DATABASE_URL": moved.catalog_url})
    elsewhere.write_bytes(b"a damaged catalogue")

    result = restore(moved, archive, env={"MYCELIX_DATABASE_URL": moved.catalog_url})

    assert result.exit_code == 0, result.output
    assert fingerprint(moved) == before
    assert not (node.data_dir / "catalog.sqlite3").exists()
    kept = [p for p in elsewhere.parent.iterdir() if ".pre-restore-" in p.name]
    assert [p.read_bytes() for p in kept] == [b"a damaged catalogue"]

"""Retention: `--keep N` and `--max-age DAYS` on archives of controlled ages (named by their
UTC time), every deletion attempted, the newest archive never deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mycelix.backup import BackupError, prune
from mycelix.backup.create import archive_name
from mycelix.cli.main import app
from mycelix.config import Settings

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
runner = CliRunner()


def archives(directory: Path, days_old: list[float]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    made = []
    for age in days_old:
        path = directory / archive_name(NOW - timedelta(days=age), encrypted=age % 2 == 1)
        path.write_bytes(b"archive")
        made.append(path)
    (directory / "notes.txt").write_text("not an archive: never pruned")
    return made


def names(paths: list[Path]) -> set[str]:
    return {p.name for p in paths}


def test_keep_the_newest_n(tmp_path: Path) -> None:
    made = archives(tmp_path, [0, 1, 2, 3, 10])
    result = prune(tmp_path, keep=2, now=NOW)
    assert names(result.kept) == names(made[:2])
    assert names(result.deleted) == names(made[2:])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names(made[:2]), "notes.txt"])


def test_max_age_and_keep_each_keep_what_they_cover(tmp_path: Path) -> None:
    made = archives(tmp_path, [0.5, 5, 20, 40, 41])
    by_age = prune(tmp_path, max_age=timedelta(days=30), now=NOW, dry_run=True)
    assert names(by_age.deleted) == names(made[3:])
    both = prune(tmp_path, keep=4, max_age=timedelta(days=1), now=NOW)
    assert names(both.deleted) == names(made[4:])


def test_the_newest_archive_is_never_pruned(tmp_path: Path) -> None:
    made = archives(tmp_path, [90, 100])
    result = prune(tmp_path, max_age=timedelta(days=30), now=NOW)
    assert names(result.kept) == {made[0].name}


def test_a_failed_deletion_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = archives(tmp_path, [0, 1, 2, 3])
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        # Tests run as root here, so a real EACCES cannot be arranged: refuse one file.
        if self == made[2]:
            raise PermissionError(13, "Permission denied", str(self))
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    result = prune(tmp_path, keep=1, now=NOW)
    assert names(result.deleted) == {made[1].name, made[3].name}
    assert result.failed == {made[2]: "Permission denied"}
    assert made[2].exists()


def test_bad_rules_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="needs --keep N and/or --max-age DAYS"):
        prune(tmp_path)
    with pytest.raises(BackupError, match="never deletes the newest archive"):
        prune(tmp_path, keep=0)


def test_backup_then_keep(node: Settings, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    old = archives(backups, [3, 4, 5])
    result = runner.invoke(
        app,
        ["backup", "--data-dir", str(node.data_dir), "--dir", str(backups), "--keep", "2"],
        env={"MYCELIX_BACKUP_PASSPHRASE": ""},
    )
    assert result.exit_code == 0, result.output
    left = sorted(p.name for p in backups.iterdir() if p.name.startswith("mycelix-backup-"))
    assert len(left) == 2 and old[0].name in left
    assert f"pruned {old[1]}" in result.stdout.replace("\n", "")

    bad = runner.invoke(app, ["backup", "--data-dir", str(node.data_dir), "--keep", "0"])
    assert bad.exit_code == 2 and "--keep" in bad.output


def test_backup_json_reports_what_was_pruned(node: Settings, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    old = archives(backups, [40])
    result = runner.invoke(
        app,
        [
            "backup",
            "--data-dir",
            str(node.data_dir),
            "--dir",
            str(backups),
            "--max-age",
            "30",
            "--json",
        ],
        env={"MYCELIX_BACKUP_PASSPHRASE": ""},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pruned"] == [str(old[0])]

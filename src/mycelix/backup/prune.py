"""Retention: which archives in a backup directory to delete.

An archive is kept when it is among the newest `keep`, or younger than `max_age`; with both,
either is enough ("30 days, but never fewer than 3"). Ages come from the UTC time in the file
name, not the mtime, which a copy or a sync would change. Every deletion is attempted and
reported; one that fails does not stop the others (the earlier attempt's script stopped after
the first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import BackupError

NAME = re.compile(r"^mycelix-backup-(\d{8}T\d{6})(?:\.(\d{3}))?Z\.tar(?:\.enc)?$")


@dataclass
class PruneResult:
    kept: list[Path] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)


def archive_time(path: Path) -> datetime | None:
    match = NAME.match(path.name)
    if not match:
        return None
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return moment + timedelta(milliseconds=int(match.group(2) or 0))


def list_archives(backup_dir: Path) -> list[tuple[datetime, Path]]:
    """The archives in `backup_dir`, newest first."""
    if not backup_dir.is_dir():
        return []
    found = [(t, p) for p in backup_dir.iterdir() if p.is_file() and (t := archive_time(p))]
    return sorted(found, reverse=True)


def prune(
    backup_dir: Path,
    *,
    keep: int | None = None,
    max_age: timedelta | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PruneResult:
    """Delete the archives neither rule keeps; see the module docstring."""
    if keep is None and max_age is None:
        raise BackupError("pruning needs --keep N and/or --max-age DAYS")
    if keep is not None and keep < 1:
        raise BackupError("--keep must be at least 1: pruning never deletes the newest archive")
    now = now or datetime.now(UTC)
    result = PruneResult()
    for index, (moment, path) in enumerate(list_archives(backup_dir)):
        by_count = keep is not None and index < keep
        by_age = max_age is not None and now - moment <= max_age
        if by_count or by_age or index == 0:
            result.kept.append(path)
            continue
        if dry_run:
            result.deleted.append(path)
            continue
        try:
            path.unlink()
        except OSError as exc:
            result.failed[path] = exc.strerror or str(exc)
        else:
            result.deleted.append(path)
    return result

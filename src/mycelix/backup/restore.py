"""`restore_backup`: verify the whole archive, rebuild the node beside the current one, swap.

Nothing the node uses is touched until the new data is complete and checked:

1. the target must be idle: its chain flock and indexer lock are taken (and held to the end,
   so a `mycelix serve` started meanwhile fails instead of racing us); on PostgreSQL no other
   session may be connected to the target database;
2. the archive is read once, every member into a staging directory beside the data directory
   (same filesystem) while its SHA-256 is checked; the whole-archive digest (and, if
   encrypted, every chunk's tag) is checked at the end. Any failure deletes the staging
   directory and stops here;
3. the staged parts are checked: SQLite integrity, the catalogue's row counts against the
   manifest, the chain reopened (py-evm's head must match its metadata) at the archived head;
   a PostgreSQL dump is restored into a new staging database and its row counts checked;
4. files of the current data directory the archive does not cover (a config file, a
   keystore) are copied into the staging directory;
5. swap: the staging database is renamed to the target's name in one transaction (the
   current one renamed aside), then the staging directory and the data directory are
   exchanged with one `renameat2(RENAME_EXCHANGE)` — atomic: at every instant the data
   directory is wholly the old one or wholly the new one. The previous data stays aside
   (`<data dir>.pre-restore-<time>`, `<db>_pre_restore_<time>`) unless asked to discard it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import URL

from mycelix.chain.embedded import CHAIN_DB_FILENAME, LOCK_FILENAME, EmbeddedChain
from mycelix.config import Settings
from mycelix.indexer.lock import LOCK_SUFFIX

from . import pg
from .archive import Manifest, read_archive
from .create import Report, _Silent, sqlite_catalog_path
from .errors import BackupError, ServiceRunning
from .snapshot import sqlite_facts, sqlite_integrity

# Top-level entries of a data directory that an archive replaces (with a SQLite catalogue
# inside it, also the catalogue file and its sidecars).
_SQLITE_SIDECARS = ("-wal", "-shm", "-journal", LOCK_SUFFIX)


@dataclass(frozen=True)
class RestoreResult:
    archive: Path
    data_dir: Path
    database: str | None
    previous_data_dir: Path | None
    previous_database: str | None
    seconds: float
    info: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "data_dir": str(self.data_dir),
            "database": self.database,
            "previous_data_dir": str(self.previous_data_dir) if self.previous_data_dir else None,
            "previous_database": self.previous_database,
            "seconds": round(self.seconds, 3),
            "catalog": self.info.get("catalog"),
            "chain": self.info.get("chain"),
            "content": self.info.get("content"),
            "created_at": self.info.get("created_at"),
        }


def verify_backup(archive: Path, passphrase: str | None, report: Report | None = None) -> Manifest:
    """Read and check the whole archive without writing anything."""
    report = report or _Silent()
    report.stage(
        "verifying the archive", total=archive.stat().st_size if archive.exists() else None
    )
    return read_archive(archive, passphrase, None, report.advance)


def restore_backup(
    settings: Settings,
    archive: Path,
    *,
    passphrase: str | None = None,
    keep_previous: bool = True,
    report: Report | None = None,
) -> RestoreResult:
    """Restore `archive` into the node `settings` describe; see the module docstring."""
    started = time.monotonic()
    report = report or _Silent()
    archive = archive.expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"no archive at {archive}")
    target = settings.data_dir.expanduser().resolve()
    sqlite_path = sqlite_catalog_path(settings)
    pg_url = None if sqlite_path else pg.parse(settings.catalog_url)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with ExitStack() as stack:
        stack.enter_context(_idle(target, sqlite_path, pg_url))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
        staged_db: list[str] = []
        catalog_file: Path | None = None
        try:
            catalog_file = _catalog_file(staging, target, sqlite_path)
            manifest = _stage(archive, passphrase, staging, catalog_file, report)
            report.stage("checking the restored data")
            _check_staged(manifest, staging, catalog_file)
            if pg_url is not None:
                report.stage("restoring the catalogue into a staging database (pg_restore)")
                staged_db.append(pg.restore_staging(pg_url, staging / ".catalog.pgdump"))
                _same_rows(manifest, pg.staged_facts(pg_url, staged_db[0]), "staged database")
                (staging / ".catalog.pgdump").unlink()
            _carry_over(target, staging, manifest, sqlite_path)
            if target.is_dir():
                os.chmod(staging, target.stat().st_mode & 0o7777)
            report.stage("swapping the new data in")
            previous_db = None
            if pg_url is not None:
                pg.check_idle(pg_url)
                assert pg_url.database
                aside_db = f"{pg_url.database[:40]}_pre_restore_{stamp.lower()}"
                previous_db = pg.swap(pg_url, staged_db.pop(), aside_db)
            try:
                previous_dir = _swap_dirs(staging, target, stamp)
                if sqlite_path is not None and not _inside(sqlite_path, target):
                    assert catalog_file is not None
                    _swap_file(catalog_file, sqlite_path, stamp)
            except BaseException:
                if previous_db is not None and pg_url is not None:
                    _unswap_db(pg_url, previous_db)
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if catalog_file is not None:
                catalog_file.unlink(missing_ok=True)
            for name in staged_db:
                with contextlib.suppress(Exception):
                    pg.drop(pg_url, name)  # type: ignore[arg-type]
            raise
    if not keep_previous:
        if previous_dir is not None:
            shutil.rmtree(previous_dir, ignore_errors=True)
            previous_dir = None
        if previous_db is not None and pg_url is not None:
            pg.drop(pg_url, previous_db)
            previous_db = None
    return RestoreResult(
        archive,
        target,
        pg_url.database if pg_url is not None else None,
        previous_dir,
        previous_db,
        time.monotonic() - started,
        manifest.info,
    )


# -- 1. the target must be idle ----------------------------------------------------------------


@contextmanager
def _idle(target: Path, sqlite_path: Path | None, pg_url: URL | None) -> Iterator[None]:
    with ExitStack() as stack:
        chain_dir = target / "chain"
        if chain_dir.is_dir():
            stack.enter_context(
                _flock(
                    chain_dir / LOCK_FILENAME, "the embedded chain (is `mycelix serve` running?)"
                )
            )
        if sqlite_path is not None and sqlite_path.parent.is_dir():
            lock = sqlite_path.with_name(sqlite_path.name + LOCK_SUFFIX)
            stack.enter_context(_flock(lock, "the catalogue's indexer (is an indexer running?)"))
        if pg_url is not None:
            assert pg_url.database
            if pg.database_exists(pg_url, pg_url.database):
                pg.check_idle(pg_url)
        yield


@contextmanager
def _flock(path: Path, what: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ServiceRunning(
                f"{what}: {path} is locked by pid {holder}; stop it before restoring"
            ) from None
        yield
    finally:
        os.close(fd)


# -- 2. stage ------------------------------------------------------------------------------------


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().parent == directory


def _catalog_file(staging: Path, target: Path, sqlite_path: Path | None) -> Path | None:
    """Where a SQLite catalogue is staged: in the staging directory when it lives in the data
    directory, else beside its file (one filesystem, so the final rename is atomic)."""
    if sqlite_path is None:
        return None
    if _inside(sqlite_path, target):
        return staging / sqlite_path.name
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite_path.with_name(f".{sqlite_path.name}.restoring-{secrets.token_hex(4)}")


def _stage(
    archive: Path,
    passphrase: str | None,
    staging: Path,
    catalog_file: Path | None,
    report: Report,
) -> Manifest:
    def sink(name: str) -> BinaryIO | None:
        if name == "catalog/catalog.sqlite3":
            if catalog_file is None:
                raise BackupError(
                    f"{archive} holds a SQLite catalogue but the target is PostgreSQL; "
                    "restore with a SQLite catalogue (unset MYCELIX_DATABASE_URL)"
                )
            path = catalog_file
        elif name == "catalog/catalog.pgdump":
            if catalog_file is not None:
                raise BackupError(
                    f"{archive} holds a PostgreSQL catalogue: give the target database with "
                    "MYCELIX_DATABASE_URL or --database-url"
                )
            path = staging / ".catalog.pgdump"
        else:
            path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(fd, "wb")

    report.stage("verifying and unpacking the archive", total=archive.stat().st_size)
    return read_archive(archive, passphrase, sink, report.advance)


# -- 3. check ------------------------------------------------------------------------------------


def _same_rows(manifest: Manifest, facts: dict[str, Any], where: str) -> None:
    expected = manifest.info.get("catalog", {}).get("rows")
    if expected != facts["rows"]:
        raise BackupError(f"the {where} does not have the archived row counts; nothing was changed")


def _check_staged(manifest: Manifest, staging: Path, catalog_file: Path | None) -> None:
    if catalog_file is not None:
        sqlite_integrity(catalog_file)
        _same_rows(manifest, sqlite_facts(catalog_file), "restored catalogue")
    chain = manifest.info.get("chain")
    if chain is not None:
        sqlite_integrity(staging / "chain" / CHAIN_DB_FILENAME)
        try:
            with EmbeddedChain.open(staging / "chain") as opened:
                head = opened.w3.eth.get_block("latest")
        except Exception as exc:
            raise BackupError(f"the restored chain does not open: {exc}") from exc
        if (
            head["number"] != chain["head_number"]
            or "0x" + head["hash"].hex().removeprefix("0x") != chain["head_hash"]
        ):
            raise BackupError("the restored chain's head is not the archived head")
        (staging / "chain" / LOCK_FILENAME).unlink(missing_ok=True)


# -- 4. carry over what the archive does not cover -----------------------------------------------


def _carry_over(target: Path, staging: Path, manifest: Manifest, sqlite_path: Path | None) -> None:
    if not target.is_dir():
        return
    covered = {"content", "deployment.json"}
    if manifest.info.get("chain") is not None:
        covered.add("chain")
    if sqlite_path is not None and _inside(sqlite_path, target):
        covered.add(sqlite_path.name)
        covered.update(sqlite_path.name + suffix for suffix in _SQLITE_SIDECARS)
    for entry in target.iterdir():
        if entry.name in covered or (staging / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staging / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, staging / entry.name, follow_symlinks=False)


# -- 5. swap -------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_dirs(staging: Path, target: Path, stamp: str) -> Path | None:
    """Put `staging` at `target`; returns where the previous data went (None if none)."""
    aside = target.with_name(f"{target.name}.pre-restore-{stamp}")
    if not target.exists():
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        os.rename(staging, aside)  # `staging` now names the previous data
        return aside
    # Without renameat2 there is a moment with no data directory; the previous data is
    # always at one of the two names.
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


def _swap_file(staged: Path, target: Path, stamp: str) -> None:
    """A SQLite catalogue outside the data directory: move the old file (and its WAL) aside,
    then rename the staged one in."""
    if target.exists():
        for suffix in ("", "-wal", "-shm"):
            old = Path(str(target) + suffix)
            if old.exists():
                os.rename(old, old.with_name(old.name + f".pre-restore-{stamp}"))
    os.replace(staged, target)


def _unswap_db(url: URL, previous: str) -> None:
    """Undo `pg.swap` after a later step failed: the previous database gets its name back."""
    assert url.database
    back = f"{url.database[:40]}_failed_restore_{secrets.token_hex(4)}"
    pg.swap(url, previous, back)
    pg.drop(url, back)

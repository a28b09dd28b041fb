"""`create_backup`: one consistent archive of a node, taken while it runs.

Consistency. The parts are captured in this order, each from one moment:

1. the catalogue (SQLite: one online-backup step; PostgreSQL: a repeatable-read transaction
   whose snapshot pg_dump then dumps), at moment T1;
2. the embedded chain (one online-backup step), at T2 > T1;
3. the content objects the catalogue snapshot references, and the deployment manifest.

The indexer writes its checkpoint in the same transaction as the rows it derived, and only
from blocks the chain had mined: so the snapshot's checkpoint is at most the head at T1, which
is at most the head in the chain copy. The archive's catalogue therefore never runs ahead of
its chain; after a restore the indexer resumes at its checkpoint and catches up on blocks mined
between T1 and T2. (Taking the chain first would allow the opposite: a catalogue indexed past
the chain it is restored with.) Content is content-addressed and immutable, and an upload is
committed to the store before its catalogue row, so every object the T1 catalogue names is
already in the store when it is copied; objects uploaded after T1 are not referenced and not
needed. Waveform peaks are derived data written just after their row: one missing for an
upload of the last instant is simply absent, which the API tolerates.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from mycelix.catalog.db import is_memory, normalize_url
from mycelix.chain.embedded import CHAIN_DB_FILENAME
from mycelix.config import Settings
from mycelix.storage.cid import parse_cid
from mycelix.storage.errors import InvalidCid

from . import pg
from .archive import ArchiveWriter
from .errors import BackupError
from .snapshot import chain_head, sqlite_copy, sqlite_facts

ARCHIVE_PREFIX = "mycelix-backup-"
# The canonical form of the store's CIDs (v1, raw, sha2-256, base32): checked and built here
# without the multiformats library, which costs milliseconds per CID (a minute per 10,000).
_CANONICAL_CID = re.compile(r"^b[a-z2-7]{58}$")
_CID_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])  # version 1, raw codec, sha2-256, 32 bytes
PLAIN_SUFFIX = ".tar"
ENCRYPTED_SUFFIX = ".tar.enc"


class Report(Protocol):
    """Where progress goes (the CLI draws Rich bars; tests pass nothing)."""

    def stage(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int) -> None: ...


class _Silent:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    size: int
    encrypted: bool
    seconds: float
    info: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "bytes": self.size,
            "encrypted": self.encrypted,
            "seconds": round(self.seconds, 3),
            **self.info,
        }


def default_backup_dir(settings: Settings) -> Path:
    """`$MYCELIX_BACKUP_DIR`, else a sibling of the data directory (never inside it: a
    restore swaps the data directory as a whole)."""
    if explicit := os.environ.get("MYCELIX_BACKUP_DIR"):
        return Path(explicit).expanduser()
    data = settings.data_dir.expanduser().resolve()
    return data.with_name(data.name + "-backups")


def archive_name(moment: datetime, encrypted: bool) -> str:
    stamp = f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z"
    return ARCHIVE_PREFIX + stamp + (ENCRYPTED_SUFFIX if encrypted else PLAIN_SUFFIX)


def sqlite_catalog_path(settings: Settings) -> Path | None:
    url = normalize_url(settings.catalog_url)
    if url.get_backend_name() != "sqlite":
        return None
    if is_memory(url) or not url.database:
        raise BackupError("an in-memory catalogue cannot be backed up")
    return Path(url.database)


def create_backup(
    settings: Settings,
    backup_dir: Path | None = None,
    *,
    passphrase: str | None = None,
    report: Report | None = None,
) -> BackupResult:
    """Write one archive of the node `settings` describe into `backup_dir`; see the module
    docstring for why it is consistent while the node runs."""
    started = time.monotonic()
    report = report or _Silent()
    data_dir = settings.data_dir.expanduser().resolve()
    if not data_dir.is_dir():
        raise BackupError(f"no data directory at {data_dir}")
    backup_dir = (backup_dir or default_backup_dir(settings)).expanduser().resolve()
    if backup_dir == data_dir or data_dir in backup_dir.parents:
        raise BackupError(f"the backup directory {backup_dir} must not be inside {data_dir}")
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    moment = datetime.now(UTC)
    final = backup_dir / archive_name(moment, encrypted=bool(passphrase))
    work = Path(tempfile.mkdtemp(prefix=".mycelix-backup-", dir=backup_dir))
    partial = final.with_name(final.name + ".partial")
    try:
        info = _write(settings, data_dir, work, partial, passphrase, report)
        os.replace(partial, final)
        _fsync_dir(backup_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
    info["created_at"] = moment.isoformat()
    return BackupResult(
        final, final.stat().st_size, bool(passphrase), time.monotonic() - started, info
    )


def _write(
    settings: Settings,
    data_dir: Path,
    work: Path,
    partial: Path,
    passphrase: str | None,
    report: Report,
) -> dict[str, Any]:
    sqlite_path = sqlite_catalog_path(settings)
    dialect = "sqlite" if sqlite_path else "postgresql"
    catalog_file = work / ("catalog.sqlite3" if sqlite_path else "catalog.pgdump")
    chain_source = settings.chain_dir / CHAIN_DB_FILENAME
    chain_copy = work / "chain.sqlite3" if settings.embedded and chain_source.exists() else None
    with ExitStack() as stack:
        # 1. The catalogue at T1.
        report.stage("snapshotting the catalogue")
        if sqlite_path is not None:
            sqlite_copy(sqlite_path, catalog_file)
            facts = sqlite_facts(catalog_file)
        else:
            url = pg.parse(settings.catalog_url)
            snapshot_id, facts = stack.enter_context(pg.snapshot(url))
        # 2. The chain at T2, while PostgreSQL still holds the T1 snapshot open for pg_dump.
        chain: dict[str, Any] | None = None
        if chain_copy is not None:
            report.stage("snapshotting the chain")
            sqlite_copy(chain_source, chain_copy)
            chain = chain_head(chain_copy)
        if sqlite_path is None:
            report.stage("dumping the catalogue (pg_dump)")
            pg.dump(url, snapshot_id, catalog_file)
    # 3. Content the T1 catalogue references.
    objects, missing = _content(settings.content_dir, facts["cids"])
    manifest_path = settings.manifest_path
    sizes = sum(p.stat().st_size for _, p in objects) + catalog_file.stat().st_size
    sizes += chain_copy.stat().st_size if chain_copy else 0
    report.stage("writing the archive", total=sizes)
    header = {"catalog": dialect, "chain": chain is not None}
    damaged: list[str] = []
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        writer = ArchiveWriter(file, header, passphrase)
        writer.add_file(f"catalog/{catalog_file.name}", catalog_file, report.advance)
        if chain_copy is not None:
            writer.add_file("chain/chain.sqlite3", chain_copy, report.advance)
        if manifest_path.exists():
            writer.add_bytes("deployment.json", manifest_path.read_bytes())
        stored = 0
        for cid, path in objects:
            digest = writer.add_file(f"content/objects/{cid[-3:-1]}/{cid}", path, report.advance)
            if cid_of_digest(bytes.fromhex(digest)) != cid:
                # The live copy is damaged; the archive keeps it so nothing is silently
                # lost, and says so (a restore reports it again).
                damaged.append(cid)
            stored += path.stat().st_size
            peaks = settings.content_dir / "peaks" / f"{cid}.json"
            if peaks.exists():
                writer.add_bytes(f"content/peaks/{cid}.json", peaks.read_bytes())
        info = {
            "mycelix_version": _version(),
            "order": ["catalog", "chain", "content"],
            "catalog": {
                "dialect": dialect,
                "revision": facts["revision"],
                "rows": facts["rows"],
                "checkpoints": facts["checkpoints"],
            },
            "chain": chain,
            "deployment": manifest_path.exists(),
            "content": {
                "objects": len(objects),
                "bytes": stored,
                "missing": missing,
                "damaged": damaged,
            },
        }
        writer.close(info)
        file.flush()
        os.fsync(file.fileno())
    return info


def cid_of_digest(digest: bytes) -> str:
    """The store's CID for content with this SHA-256 (same as `storage.cid.cid_from_digest`)."""
    return "b" + base64.b32encode(_CID_PREFIX + digest).decode().lower().rstrip("=")


def _content(content_dir: Path, cids: list[str]) -> tuple[list[tuple[str, Path]], list[str]]:
    objects: list[tuple[str, Path]] = []
    missing: list[str] = []
    for raw in cids:
        try:
            cid = raw if _CANONICAL_CID.match(raw) else parse_cid(raw)
        except InvalidCid:
            missing.append(raw)
            continue
        path = content_dir / "objects" / cid[-3:-1] / cid
        if path.is_file():
            objects.append((cid, path))
        else:
            missing.append(cid)
    return objects, missing


def _version() -> str:
    try:
        return version("mycelix")
    except PackageNotFoundError:
        return "unknown"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

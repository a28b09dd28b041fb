"""Point-in-time copies of the two SQLite files (catalogue, chain) and facts read from them.

SQLite's online backup API copies a live database page by page through SQLite itself, so it
sees the WAL and never a half-written transaction. It runs in one step (``pages=-1``): a
stepwise copy restarts whenever another connection writes, and the chain writes a block at a
time while `mycelix serve` runs. The copy holds a read transaction only, so it works while
`serve` holds the chain's flock (which guards against a second *writer*, not readers).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from .errors import BackupError

# Tables whose rows name content objects: every CID in them is copied.
CONTENT_COLUMNS = (("uploads", "cid"), ("songs", "audio_cid"), ("songs", "cover_cid"))


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy the SQLite database at `source` to `target` (a new file) consistently."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Read-write open (never written to): a read-only open of a WAL database fails when its
    # -shm file is missing, e.g. after a clean shutdown.
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.execute("PRAGMA query_only=ON")
        src.backup(dst, pages=-1)
        # A self-contained file: no WAL beside it to lose.
        dst.execute("PRAGMA journal_mode=DELETE")


def sqlite_integrity(path: Path) -> None:
    """Raise unless SQLite's own integrity check passes."""
    with closing(sqlite3.connect(path)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def sqlite_facts(path: Path) -> dict[str, Any]:
    """Row counts, the Alembic revision, the indexer checkpoint and the referenced CIDs."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return facts(tables, lambda sql: conn.execute(sql).fetchall())


def facts(tables: Iterable[str], query: Any) -> dict[str, Any]:
    """Facts of a catalogue, read through `query(sql) -> rows` (either dialect)."""
    tables = sorted(tables)
    rows = {t: int(query(f'SELECT count(*) FROM "{t}"')[0][0]) for t in tables}  # nosec B608: table names from the schema
    revision = query("SELECT version_num FROM alembic_version") if "alembic_version" in rows else []
    checkpoints = (
        {str(n): int(b) for n, b in query("SELECT name, block_number FROM indexer_checkpoints")}
        if "indexer_checkpoints" in rows
        else {}
    )
    cids: set[str] = set()
    for table, column in CONTENT_COLUMNS:
        if table in rows:
            cids.update(
                str(value)
                for (value,) in query(f"SELECT DISTINCT {column} FROM {table}")  # nosec B608: schema names
                if value
            )
    return {
        "rows": rows,
        "revision": revision[0][0] if revision else None,
        "checkpoints": checkpoints,
        "cids": sorted(cids),
    }


def chain_head(path: Path) -> dict[str, Any]:
    """The head block recorded in an embedded chain file's metadata."""
    with closing(sqlite3.connect(path)) as conn:
        meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    if "head_number" not in meta:
        raise BackupError(f"{path} holds no chain (no head in its metadata)")
    return {
        "head_number": int(meta["head_number"]),
        "head_hash": "0x" + meta["head_hash"],
        "chain_id": int(meta["chain_id"]),
    }

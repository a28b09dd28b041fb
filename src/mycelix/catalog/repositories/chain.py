"""Indexer state (checkpoints, recent block hashes) and the reorg rollback.

The indexer's loop, per batch of blocks and in ONE transaction: insert the rows
(idempotent), `record_block` for each block, `set_checkpoint` to the last one, commit.
A crash anywhere leaves the previous checkpoint with exactly the rows it covers.

Reorg detection: a new block's parent hash must equal `block_hash(number - 1)`. If not,
the indexer walks back to the newest block whose stored hash the node still agrees with
and calls `rollback_to(number, hash)`: every chain-derived row above that block is
deleted (or, for state projected from events, rebuilt), checkpoints above it move down
to it, and the indexer resumes from there — again in one transaction.

Not reverted here: song fields the chain changes in place (strategy changes, transfers,
patron-only flags). After a rollback the indexer re-reads those from the router's
current state for the songs it re-indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from ..models import IndexedBlock, IndexerCheckpoint
from ..sqlfuncs import insert_ignoring, insert_rows
from ..types import normalize_bytes32, utc, utcnow
from .auctions import AuctionRepository
from .patrons import PatronRepository
from .payments import PaymentRepository
from .plays import PlayRepository
from .songs import SongRepository


@dataclass(frozen=True)
class Checkpoint:
    name: str
    block_number: int
    block_hash: str


class ChainStateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def checkpoint(self, name: str) -> Checkpoint | None:
        row = self.session.get(IndexerCheckpoint, name)
        return None if row is None else Checkpoint(row.name, row.block_number, row.block_hash)

    def set_checkpoint(self, name: str, block_number: int, block_hash: str | bytes) -> None:
        """Create or move the checkpoint `name` (in the caller's transaction)."""
        row = self.session.get(IndexerCheckpoint, name)
        if row is None:
            row = IndexerCheckpoint(name=name)
            self.session.add(row)
        row.block_number = block_number
        row.block_hash = normalize_bytes32(block_hash)
        row.updated_at = utcnow()
        self.session.flush()

    def record_block(
        self,
        number: int,
        block_hash: str | bytes,
        parent_hash: str | bytes,
        block_time: datetime | None = None,
    ) -> None:
        """Remember an indexed block's hash and parent (replacing a stale entry)."""
        self.session.execute(delete(IndexedBlock).where(IndexedBlock.number == number))
        self.session.execute(
            insert_ignoring(self.session, IndexedBlock, "number").values(
                number=number,
                hash=normalize_bytes32(block_hash),
                parent_hash=normalize_bytes32(parent_hash),
                block_time=utc(block_time) if block_time else None,
            )
        )

    def record_blocks(self, blocks: Sequence[tuple[int, str, str, datetime | None]]) -> None:
        """`record_block` for many (number, hash, parent hash, time): one DELETE, one
        multi-row INSERT."""
        if not blocks:
            return
        table = cast(Table, IndexedBlock.__table__)
        self.session.execute(
            delete(table).where(table.c.number.in_(sorted({b[0] for b in blocks})))
        )
        insert_rows(
            self.session,
            table,
            [
                {
                    "number": number,
                    "hash": normalize_bytes32(block_hash),
                    "parent_hash": normalize_bytes32(parent_hash),
                    "block_time": utc(block_time) if block_time else None,
                }
                for number, block_hash, parent_hash, block_time in blocks
            ],
        )

    def block_hash(self, number: int) -> str | None:
        return self.session.scalar(select(IndexedBlock.hash).where(IndexedBlock.number == number))

    def head(self) -> IndexedBlock | None:
        """The highest indexed block."""
        stmt = select(IndexedBlock).order_by(IndexedBlock.number.desc()).limit(1)
        return self.session.scalars(stmt).one_or_none()

    def prune_blocks(self, below: int) -> int:
        """Forget block hashes below `below` (beyond any plausible reorg depth)."""
        result: Any = self.session.execute(
            delete(IndexedBlock)
            .where(IndexedBlock.number < below)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)

    def rollback_to(self, block_number: int, block_hash: str | bytes) -> dict[str, int]:
        """Undo everything indexed above `block_number` (see module docstring); returns
        how many rows each table lost. Call inside the indexer's transaction."""
        block_hash = normalize_bytes32(block_hash)
        counts: dict[str, int] = {}
        counts["plays"] = PlayRepository(self.session).delete_above(block_number)
        counts.update(PaymentRepository(self.session).delete_above(block_number))
        counts.update(AuctionRepository(self.session).delete_above(block_number))
        counts["patron_pairs"] = PatronRepository(self.session).delete_above(block_number)
        counts["songs_unregistered"] = SongRepository(self.session).unregister_above(block_number)
        blocks: Any = self.session.execute(
            delete(IndexedBlock)
            .where(IndexedBlock.number > block_number)
            .execution_options(synchronize_session=False)
        )
        counts["indexed_blocks"] = int(blocks.rowcount or 0)
        self.session.execute(
            update(IndexerCheckpoint)
            .where(IndexerCheckpoint.block_number > block_number)
            .values(block_number=block_number, block_hash=block_hash, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        return counts

    def max_block(self) -> int | None:
        return self.session.scalar(select(func.max(IndexedBlock.number)))

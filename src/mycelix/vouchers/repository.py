"""Every SQL statement on the voucher queue."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mycelix.catalog.types import utcnow
from mycelix.chain.vouchers import SkipReason

from .models import QUEUED, SETTLED, SKIPPED, SUBMITTED, QueuedVoucher


@dataclass(frozen=True)
class VoucherIn:
    listener: str
    nonce: int
    song_id: str
    amount: int
    expiry: int
    signature: str


def skip_label(reason: int) -> str:
    """A skip reason as a metric label ("signature", "expired", ...)."""
    try:
        return SkipReason(reason).name.lower()
    except ValueError:
        return str(reason)


class DuplicateVoucher(Exception):
    """A voucher with this listener and nonce is queued already."""


class VoucherRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ writes

    def lock_listener(self, listener: str) -> None:
        """Hold the listener's vouchers until this transaction ends, so two submissions cannot
        both check the balance against the same unsettled total and overdraw it. SQLite's
        writer transaction (BEGIN IMMEDIATE) serialises them already; PostgreSQL takes a
        transaction-level advisory lock on a key derived from the address."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.blake2b(listener.lower().encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def add(self, voucher: VoucherIn) -> QueuedVoucher:
        row = QueuedVoucher(
            listener=voucher.listener,
            nonce=voucher.nonce,
            song_id=voucher.song_id,
            amount=voucher.amount,
            expiry=voucher.expiry,
            signature=voucher.signature,
            status=QUEUED,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as exc:
            raise DuplicateVoucher(f"{voucher.listener} nonce {voucher.nonce}") from exc
        return row

    def mark_submitted(self, ids: Sequence[int], tx_hash: str) -> None:
        self.session.execute(
            update(QueuedVoucher)
            .where(QueuedVoucher.id.in_(ids), QueuedVoucher.status.in_((QUEUED, SUBMITTED)))
            .values(status=SUBMITTED, tx_hash=tx_hash, submitted_at=utcnow())
        )

    def requeue(self, ids: Sequence[int]) -> None:
        """Back to the queue: their transaction never landed."""
        self.session.execute(
            update(QueuedVoucher)
            .where(QueuedVoucher.id.in_(ids), QueuedVoucher.status == SUBMITTED)
            .values(status=QUEUED, tx_hash=None, submitted_at=None)
        )

    def settled(self, listener: str, nonce: int, charged: int, tx_hash: str) -> bool:
        """Record that the chain settled (listener, nonce); False if it is not queued here or
        was recorded already. Settled is final: a later skip of the same voucher (a
        resubmission, refused as replayed) does not undo it."""
        result = self.session.execute(
            update(QueuedVoucher)
            .where(
                QueuedVoucher.listener == listener,
                QueuedVoucher.nonce == nonce,
                QueuedVoucher.status != SETTLED,
            )
            .values(
                status=SETTLED, reason=None, charged=charged, tx_hash=tx_hash, settled_at=utcnow()
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def skipped(self, listener: str, nonce: int, reason: int, tx_hash: str) -> bool:
        """Record a skip unless the voucher settled already; False if nothing changed."""
        result = self.session.execute(
            update(QueuedVoucher)
            .where(
                QueuedVoucher.listener == listener,
                QueuedVoucher.nonce == nonce,
                QueuedVoucher.status != SETTLED,
            )
            .values(status=SKIPPED, reason=reason, tx_hash=tx_hash, settled_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------- reads

    def get(self, listener: str, nonce: int) -> QueuedVoucher | None:
        return self.session.scalars(
            select(QueuedVoucher).where(
                QueuedVoucher.listener == listener, QueuedVoucher.nonce == nonce
            )
        ).first()

    def next_batch(self, limit: int) -> list[QueuedVoucher]:
        """The oldest queued vouchers, at most `limit`."""
        return list(
            self.session.scalars(
                select(QueuedVoucher)
                .where(QueuedVoucher.status == QUEUED)
                .order_by(QueuedVoucher.id)
                .limit(limit)
            )
        )

    def queued_summary(self) -> tuple[int, datetime | None]:
        """How many vouchers are queued, and when the oldest was."""
        count, oldest = self.session.execute(
            select(func.count(QueuedVoucher.id), func.min(QueuedVoucher.queued_at)).where(
                QueuedVoucher.status == QUEUED
            )
        ).one()
        return int(count), oldest

    def in_flight(self) -> list[QueuedVoucher]:
        """Vouchers submitted in a transaction whose outcome is not recorded yet."""
        return list(
            self.session.scalars(
                select(QueuedVoucher)
                .where(QueuedVoucher.status == SUBMITTED)
                .order_by(QueuedVoucher.id)
            )
        )

    def unsettled_total(self, listener: str) -> int:
        """What a listener's queued and submitted vouchers may still charge, in wei."""
        rows = self.session.scalars(
            select(QueuedVoucher.amount).where(
                QueuedVoucher.listener == listener,
                QueuedVoucher.status.in_((QUEUED, SUBMITTED)),
            )
        )
        return sum(int(a) for a in rows)

    def highest_nonce(self, listener: str) -> int | None:
        return self.session.scalar(
            select(func.max(QueuedVoucher.nonce)).where(QueuedVoucher.listener == listener)
        )

    def played_since(self, song_id: str, listener: str, since: datetime) -> bool:
        """Whether a voucher for this play was accepted since `since` and not skipped: the
        proof of payment for streaming, before (and after) it settles."""
        found = self.session.scalar(
            select(QueuedVoucher.id)
            .where(
                QueuedVoucher.song_id == song_id,
                QueuedVoucher.listener == listener,
                QueuedVoucher.queued_at >= since,
                QueuedVoucher.status != SKIPPED,
            )
            .limit(1)
        )
        return found is not None

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(QueuedVoucher.status, func.count(QueuedVoucher.id)).group_by(
                QueuedVoucher.status
            )
        )
        found = {status: int(n) for status, n in rows}
        return {s: found.get(s, 0) for s in (QUEUED, SUBMITTED, SETTLED, SKIPPED)}

    def by_ids(self, ids: Iterable[int]) -> list[QueuedVoucher]:
        return list(
            self.session.scalars(
                select(QueuedVoucher)
                .where(QueuedVoucher.id.in_(list(ids)))
                .order_by(QueuedVoucher.id)
            )
        )

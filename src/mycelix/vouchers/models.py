"""The voucher queue: every voucher the API accepted, durable until the chain settled or skipped
it. Its status moves queued -> submitted (in a settlement transaction whose hash is stored
before it is sent) -> settled or skipped; a submitted voucher whose transaction never landed goes
back to queued. (listener, nonce) is unique, as on chain: the same voucher cannot be queued
twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mycelix.catalog.models import Base, Id
from mycelix.catalog.types import Address, Bytes32, TokenAmount, utcnow

QUEUED, SUBMITTED, SETTLED, SKIPPED = "queued", "submitted", "settled", "skipped"
STATUSES = (QUEUED, SUBMITTED, SETTLED, SKIPPED)


class QueuedVoucher(Base):
    __tablename__ = "voucher_queue"
    __table_args__ = (
        UniqueConstraint("listener", "nonce"),
        Index("ix_voucher_queue_status_id", "status", "id"),
        Index("ix_voucher_queue_song_listener", "song_id", "listener", "queued_at"),
        CheckConstraint(
            "status IN ('queued', 'submitted', 'settled', 'skipped')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    listener: Mapped[str] = mapped_column(Address())
    nonce: Mapped[int] = mapped_column(BigInteger)
    song_id: Mapped[str] = mapped_column(Bytes32())
    amount: Mapped[int] = mapped_column(TokenAmount())
    expiry: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(132))  # 0x + 65 bytes hex
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    reason: Mapped[int | None] = mapped_column(SmallInteger)  # chain.vouchers.SkipReason
    charged: Mapped[int | None] = mapped_column(TokenAmount())
    tx_hash: Mapped[str | None] = mapped_column(Bytes32())
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    settled_at: Mapped[datetime | None] = mapped_column()

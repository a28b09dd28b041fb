"""The voucher queue (`mycelix.vouchers.models`): signed play vouchers the API accepted as proof
of payment, kept until the chain settled or skipped them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ADDRESS = sa.String(42)
BYTES32 = sa.String(66)
AMOUNT = sa.Numeric(78, 0).with_variant(sa.String(78), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "voucher_queue",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("listener", ADDRESS, nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(132), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.SmallInteger(), nullable=True),
        sa.Column("charged", AMOUNT, nullable=True),
        sa.Column("tx_hash", BYTES32, nullable=True),
        sa.Column("queued_at", TIME, nullable=False),
        sa.Column("submitted_at", TIME, nullable=True),
        sa.Column("settled_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_voucher_queue"),
        sa.UniqueConstraint("listener", "nonce", name="uq_voucher_queue_listener_nonce"),
        sa.CheckConstraint(
            "status IN ('queued', 'submitted', 'settled', 'skipped')",
            name="ck_voucher_queue_status_known",
        ),
    )
    op.create_index("ix_voucher_queue_status_id", "voucher_queue", ["status", "id"])
    op.create_index(
        "ix_voucher_queue_song_listener", "voucher_queue", ["song_id", "listener", "queued_at"]
    )


def downgrade() -> None:
    op.drop_table("voucher_queue")

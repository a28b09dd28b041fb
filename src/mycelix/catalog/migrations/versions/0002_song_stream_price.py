"""Songs keep the pay-per-stream price set on chain (`PriceSet`), the price the API displays
and offers for a play.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNT = sa.Numeric(78, 0).with_variant(sa.String(78), "sqlite")


def upgrade() -> None:
    op.add_column("songs", sa.Column("stream_price", AMOUNT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("songs") as batch:
        batch.drop_column("stream_price")

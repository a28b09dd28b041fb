"""Initial catalogue schema.

Written out by hand (from an autogenerate draft) with plain SQLAlchemy types, so this
revision keeps creating the same storage even if the Python column types change later:
addresses VARCHAR(42), bytes32 VARCHAR(66), amounts NUMERIC(78,0) on PostgreSQL and
VARCHAR(78) zero-padded decimal text on SQLite, timestamps TIMESTAMPTZ / SQLite DATETIME
text in UTC. See mycelix/catalog/models.py for what each table means.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ADDRESS = sa.String(42)
BYTES32 = sa.String(66)
AMOUNT = sa.Numeric(78, 0).with_variant(sa.String(78), "sqlite")
TIME = sa.DateTime(timezone=True)
SORT_KEY = sa.String(300).with_variant(sa.String(300, collation="C"), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def _chain_ref() -> list[sa.Column[Any]]:
    """Where a chain-derived row came from; (tx_hash, log_index) is unique."""
    return [
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", BYTES32, nullable=False),
        sa.Column("tx_hash", BYTES32, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
    ]


def _indexes(table: str, *specs: tuple[str, list[str]]) -> None:
    for name, columns in specs:
        op.create_index(name, table, columns, unique=False)


def upgrade() -> None:
    op.create_table(
        "artists",
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", SORT_KEY, nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_artists"),
    )
    _indexes("artists", ("ix_artists_name_key", ["name_key"]))

    op.create_table(
        "songs",
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("artist", ADDRESS, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_key", SORT_KEY, nullable=False),
        sa.Column("genre", sa.String(64), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("audio_cid", sa.String(128), nullable=True),
        sa.Column("cover_cid", sa.String(128), nullable=True),
        sa.Column("media_type", sa.String(100), nullable=True),
        sa.Column("bitrate", sa.Integer(), nullable=True),
        sa.Column("sample_rate", sa.Integer(), nullable=True),
        sa.Column("waveform", JSON, nullable=True),
        sa.Column("strategy_id", BYTES32, nullable=True),
        sa.Column("strategy_name", sa.String(64), nullable=True),
        sa.Column("patron_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("registration_tx", BYTES32, nullable=True),
        sa.Column("registration_block", sa.BigInteger(), nullable=True),
        sa.Column("play_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("play_count >= 0", name="ck_songs_play_count_nonneg"),
        sa.ForeignKeyConstraint(["artist"], ["artists.address"], name="fk_songs_artist_artists"),
        sa.PrimaryKeyConstraint("song_id", name="pk_songs"),
    )
    _indexes(
        "songs",
        ("ix_songs_newest", ["created_at", "song_id"]),
        ("ix_songs_title", ["title_key", "song_id"]),
        ("ix_songs_plays", ["play_count", "song_id"]),
        ("ix_songs_artist_newest", ["artist", "created_at", "song_id"]),
        ("ix_songs_genre_newest", ["genre", "created_at", "song_id"]),
        ("ix_songs_strategy_newest", ["strategy_name", "created_at", "song_id"]),
        ("ix_songs_registration_block", ["registration_block"]),
    )

    op.create_table(
        "splits",
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("recipient", ADDRESS, nullable=False),
        sa.Column("bps", sa.Integer(), nullable=False),
        sa.Column("role", sa.SmallInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("bps > 0 AND bps <= 10000", name="ck_splits_bps_range"),
        sa.ForeignKeyConstraint(
            ["song_id"], ["songs.song_id"], name="fk_splits_song_id_songs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("song_id", "position", name="pk_splits"),
    )
    _indexes(
        "splits",
        ("ix_splits_recipient", ["recipient"]),
        ("ix_splits_block_number", ["block_number"]),
    )

    op.create_table(
        "uploads",
        _id(),
        sa.Column("cid", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("uploader", ADDRESS, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
        sa.UniqueConstraint("cid", "kind", name="uq_uploads_cid_kind"),
    )
    _indexes("uploads", ("ix_uploads_uploader", ["uploader"]))

    op.create_table(
        "payments",
        _id(),
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("payer", ADDRESS, nullable=False),
        sa.Column("strategy_id", BYTES32, nullable=False),
        sa.Column("payment_type", sa.SmallInteger(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("fee", AMOUNT, nullable=False),
        *_chain_ref(),
        sa.Column("paid_at", TIME, nullable=False),
        sa.CheckConstraint("fee <= amount", name="ck_payments_fee_le_amount"),
        sa.CheckConstraint(
            "payment_type >= 0 AND payment_type <= 255", name="ck_payments_type_range"
        ),
        sa.ForeignKeyConstraint(["song_id"], ["songs.song_id"], name="fk_payments_song_id_songs"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_payments_tx_hash_log_index"),
    )
    _indexes(
        "payments",
        ("ix_payments_block_number", ["block_number"]),
        ("ix_payments_paid_at", ["paid_at"]),
        ("ix_payments_payer_time", ["payer", "paid_at"]),
        ("ix_payments_song_time", ["song_id", "paid_at"]),
    )

    op.create_table(
        "credits",
        _id(),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("recipient", ADDRESS, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("strategy_id", BYTES32, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("credited_at", TIME, nullable=False),
        sa.CheckConstraint("kind IN ('split', 'fee')", name="ck_credits_kind"),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name="fk_credits_payment_id_payments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["song_id"], ["songs.song_id"], name="fk_credits_song_id_songs"),
        sa.PrimaryKeyConstraint("id", name="pk_credits"),
        sa.UniqueConstraint(
            "payment_id", "kind", "recipient", name="uq_credits_payment_id_kind_recipient"
        ),
    )
    _indexes(
        "credits",
        ("ix_credits_block_number", ["block_number"]),
        ("ix_credits_recipient_time", ["recipient", "credited_at"]),
        ("ix_credits_song_time", ["song_id", "credited_at"]),
        ("ix_credits_strategy_time", ["strategy_id", "credited_at"]),
    )

    op.create_table(
        "withdrawals",
        _id(),
        sa.Column("recipient", ADDRESS, nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        *_chain_ref(),
        sa.Column("withdrawn_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_withdrawals"),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_withdrawals_tx_hash_log_index"),
    )
    _indexes(
        "withdrawals",
        ("ix_withdrawals_block_number", ["block_number"]),
        ("ix_withdrawals_recipient", ["recipient"]),
    )

    op.create_table(
        "plays",
        _id(),
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("listener", ADDRESS, nullable=True),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("played_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_plays_payment_id_payments", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["song_id"], ["songs.song_id"], name="fk_plays_song_id_songs"),
        sa.PrimaryKeyConstraint("id", name="pk_plays"),
        sa.UniqueConstraint("payment_id", name="uq_plays_payment_id"),
    )
    _indexes(
        "plays",
        ("ix_plays_block_number", ["block_number"]),
        ("ix_plays_listener_time", ["listener", "played_at"]),
        ("ix_plays_played_at", ["played_at"]),
        ("ix_plays_song_time", ["song_id", "played_at"]),
    )

    op.create_table(
        "patrons",
        sa.Column("artist", ADDRESS, nullable=False),
        sa.Column("patron", ADDRESS, nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("paid_until", TIME, nullable=False),
        sa.Column("access_until", TIME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name="ck_patrons_status"),
        sa.PrimaryKeyConstraint("artist", "patron", name="pk_patrons"),
    )
    _indexes(
        "patrons",
        ("ix_patrons_access_until", ["access_until"]),
        ("ix_patrons_patron", ["patron"]),
    )

    op.create_table(
        "patron_events",
        _id(),
        sa.Column("artist", ADDRESS, nullable=False),
        sa.Column("patron", ADDRESS, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("song_id", BYTES32, nullable=True),
        sa.Column("tier", sa.SmallInteger(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("amount", AMOUNT, nullable=True),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("paid_until", TIME, nullable=True),
        sa.Column("access_until", TIME, nullable=True),
        *_chain_ref(),
        sa.Column("occurred_at", TIME, nullable=False),
        sa.CheckConstraint(
            "kind IN ('joined', 'renewed', 'cancelled')", name="ck_patron_events_kind"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_patron_events"),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_patron_events_tx_hash_log_index"),
    )
    _indexes(
        "patron_events",
        ("ix_patron_events_block_number", ["block_number"]),
        ("ix_patron_events_pair", ["artist", "patron", "block_number", "log_index"]),
    )

    op.create_table(
        "auctions",
        _id(),
        sa.Column("song_id", BYTES32, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start_price", AMOUNT, nullable=False),
        sa.Column("floor_price", AMOUNT, nullable=False),
        sa.Column("start_time", TIME, nullable=False),
        sa.Column("end_time", TIME, nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("revenue", AMOUNT, nullable=False),
        sa.Column("clearing_price", AMOUNT, nullable=True),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("end_reason", sa.SmallInteger(), nullable=True),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("ended_block", sa.BigInteger(), nullable=True),
        *_chain_ref(),
        sa.CheckConstraint("floor_price < start_price", name="ck_auctions_price_falls"),
        sa.ForeignKeyConstraint(["song_id"], ["songs.song_id"], name="fk_auctions_song_id_songs"),
        sa.PrimaryKeyConstraint("id", name="pk_auctions"),
        sa.UniqueConstraint("song_id", "number", name="uq_auctions_song_id_number"),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_auctions_tx_hash_log_index"),
    )
    _indexes(
        "auctions",
        ("ix_auctions_block_number", ["block_number"]),
        ("ix_auctions_ended_block", ["ended_block"]),
        ("ix_auctions_live", ["live", "end_time"]),
    )

    op.create_table(
        "auction_slots",
        _id(),
        sa.Column("auction_id", ID, nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("buyer", ADDRESS, nullable=False),
        sa.Column("price", AMOUNT, nullable=False),
        *_chain_ref(),
        sa.Column("purchased_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["auction_id"],
            ["auctions.id"],
            name="fk_auction_slots_auction_id_auctions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auction_slots"),
        sa.UniqueConstraint("auction_id", "buyer", name="uq_auction_slots_auction_id_buyer"),
        sa.UniqueConstraint("auction_id", "slot", name="uq_auction_slots_auction_id_slot"),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_auction_slots_tx_hash_log_index"),
    )
    _indexes(
        "auction_slots",
        ("ix_auction_slots_block_number", ["block_number"]),
        ("ix_auction_slots_buyer", ["buyer"]),
    )

    op.create_table(
        "analytics_events",
        _id(),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("properties", JSON, nullable=False),
        sa.Column("song_id", BYTES32, nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("listener", ADDRESS, nullable=True),
        sa.Column("occurred_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["song_id"],
            ["songs.song_id"],
            name="fk_analytics_events_song_id_songs",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_events"),
    )
    _indexes(
        "analytics_events",
        ("ix_analytics_events_name_time", ["name", "occurred_at"]),
        ("ix_analytics_events_song_time", ["song_id", "occurred_at"]),
    )

    op.create_table(
        "indexer_checkpoints",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", BYTES32, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_indexer_checkpoints"),
    )
    op.create_table(
        "indexed_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", BYTES32, nullable=False),
        sa.Column("parent_hash", BYTES32, nullable=False),
        sa.Column("block_time", TIME, nullable=True),
        sa.PrimaryKeyConstraint("number", name="pk_indexed_blocks"),
    )


def downgrade() -> None:
    # Children before parents; indexes go with their tables.
    for table in (
        "indexed_blocks",
        "indexer_checkpoints",
        "analytics_events",
        "auction_slots",
        "auctions",
        "patron_events",
        "patrons",
        "plays",
        "withdrawals",
        "credits",
        "payments",
        "uploads",
        "splits",
        "songs",
        "artists",
    ):
        op.drop_table(table)

"""The catalogue schema: SQLAlchemy 2 typed models, identical on SQLite and PostgreSQL.

Three kinds of table:

- *Descriptive* rows the API writes (artists, songs, uploads, analytics events).
- *Chain-derived* rows the indexer writes (payments, credits, withdrawals, plays, patron
  events, auctions and slots, song registrations, splits). Each carries the block number
  of the event that produced it — and the log's tx hash and index, unique, so replaying a
  block inserts nothing — so a reorg is "delete everything above block N".
- Indexer state: a checkpoint per indexer and the recent block hashes, written in the
  same transaction as the rows (see repositories/chain.py).

Money is never summed from payments: a payment's net is split by the router into
*credits*, one row per recipient, and every earnings figure is a sum of credits, so
collaborators' splits are honoured to the unit. Timestamps are UTC; amounts are exact ints
(types.py). Python-side defaults (not server defaults) keep the clock in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from .types import Address, Bytes32, TokenAmount, UTCDateTime, fold, normalize_genre, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Surrogate keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")
# Sort keys compare by code point on both databases (PostgreSQL's default collation would
# ignore punctuation and differ from SQLite's BINARY).
SortKey = String(300).with_variant(String(300, collation="C"), "postgresql")
# None is SQL NULL, not the JSON text 'null' (so IS NULL finds it).
Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: Json}


class Artist(Base):
    __tablename__ = "artists"

    address: Mapped[str] = mapped_column(Address(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    name_key: Mapped[str] = mapped_column(SortKey, default="", index=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_key = fold(value)
        return value


class Song(Base):
    """A song; `song_id` is its bytes32 router id. A song the indexer saw registered but
    nobody described yet is a stub (empty title, no audio)."""

    __tablename__ = "songs"
    __table_args__ = (
        Index("ix_songs_newest", "created_at", "song_id"),
        Index("ix_songs_title", "title_key", "song_id"),
        Index("ix_songs_plays", "play_count", "song_id"),
        Index("ix_songs_artist_newest", "artist", "created_at", "song_id"),
        Index("ix_songs_genre_newest", "genre", "created_at", "song_id"),
        Index("ix_songs_strategy_newest", "strategy_name", "created_at", "song_id"),
        CheckConstraint("play_count >= 0", name="play_count_nonneg"),
    )

    song_id: Mapped[str] = mapped_column(Bytes32(), primary_key=True)
    artist: Mapped[str] = mapped_column(Address(), ForeignKey("artists.address"))
    title: Mapped[str] = mapped_column(String(300), default="")
    title_key: Mapped[str] = mapped_column(SortKey, default="")
    genre: Mapped[str] = mapped_column(String(64), default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    audio_cid: Mapped[str | None] = mapped_column(String(128))
    cover_cid: Mapped[str | None] = mapped_column(String(128))
    media_type: Mapped[str | None] = mapped_column(String(100))
    bitrate: Mapped[int | None] = mapped_column(Integer)  # bits per second
    sample_rate: Mapped[int | None] = mapped_column(Integer)  # Hz
    waveform: Mapped[list[float] | None] = mapped_column(Json)  # peaks in [0, 1]
    strategy_id: Mapped[str | None] = mapped_column(Bytes32())
    strategy_name: Mapped[str | None] = mapped_column(String(64))
    patron_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The pay-per-stream price the artist set on chain (PriceSet); None until they set one (the
    # default price applies). The API offers this displayed price, never a fresher quote.
    stream_price: Mapped[int | None] = mapped_column(TokenAmount())
    registration_tx: Mapped[str | None] = mapped_column(Bytes32())
    registration_block: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Denormalised so "sort by plays" is an index walk; kept by PlayRepository.
    play_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    artist_profile: Mapped[Artist] = relationship(lazy="joined", innerjoin=True)
    splits: Mapped[list[Split]] = relationship(
        order_by="Split.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("title")
    def _fold_title(self, _key: str, value: str) -> str:
        self.title_key = fold(value)
        return value

    @validates("genre")
    def _normalize_genre(self, _key: str, value: str) -> str:
        return normalize_genre(value)


class Split(Base):
    """One recipient of a song's distribution, in the router's order (position 0 gets the
    rounding dust). `block_number` is set once the configuration is seen on chain."""

    __tablename__ = "splits"
    __table_args__ = (CheckConstraint("bps > 0 AND bps <= 10000", name="bps_range"),)

    song_id: Mapped[str] = mapped_column(
        Bytes32(), ForeignKey("songs.song_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    recipient: Mapped[str] = mapped_column(Address(), index=True)
    bps: Mapped[int] = mapped_column(Integer)
    role: Mapped[int] = mapped_column(SmallInteger, default=0)  # router role code
    block_number: Mapped[int | None] = mapped_column(BigInteger, index=True)


class Upload(Base):
    """A stored file; content addressing makes (cid, kind) the identity (deduplication)."""

    __tablename__ = "uploads"
    __table_args__ = (UniqueConstraint("cid", "kind"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    cid: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # "audio", "cover", ...
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    uploader: Mapped[str | None] = mapped_column(Address(), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """A router `Payment` event. The payer was charged `amount`; the treasury got `fee`;
    the net went to `credits`."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index"),
        Index("ix_payments_song_time", "song_id", "paid_at"),
        Index("ix_payments_payer_time", "payer", "paid_at"),
        CheckConstraint("payment_type >= 0 AND payment_type <= 255", name="type_range"),
        CheckConstraint("fee <= amount", name="fee_le_amount"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    song_id: Mapped[str] = mapped_column(Bytes32(), ForeignKey("songs.song_id"))
    payer: Mapped[str] = mapped_column(Address())
    strategy_id: Mapped[str] = mapped_column(Bytes32())
    payment_type: Mapped[int] = mapped_column(SmallInteger)  # chain.units.PaymentType
    amount: Mapped[int] = mapped_column(TokenAmount())
    fee: Mapped[int] = mapped_column(TokenAmount())
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(Bytes32())
    tx_hash: Mapped[str] = mapped_column(Bytes32())
    log_index: Mapped[int] = mapped_column(Integer)
    paid_at: Mapped[datetime] = mapped_column(index=True)  # block time

    credits: Mapped[list[Credit]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", passive_deletes=True
    )


class Credit(Base):
    """Units credited to one recipient by one payment: kind "split" (a share of the net,
    summed per recipient if the splits name it twice) or "fee" (the treasury's). Song,
    strategy, block and time are copied from the payment so earnings need no join."""

    __tablename__ = "credits"
    __table_args__ = (
        UniqueConstraint("payment_id", "kind", "recipient"),
        Index("ix_credits_recipient_time", "recipient", "credited_at"),
        Index("ix_credits_song_time", "song_id", "credited_at"),
        Index("ix_credits_strategy_time", "strategy_id", "credited_at"),
        CheckConstraint("kind IN ('split', 'fee')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(Address())
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(TokenAmount())
    song_id: Mapped[str] = mapped_column(Bytes32(), ForeignKey("songs.song_id"))
    strategy_id: Mapped[str] = mapped_column(Bytes32())
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    credited_at: Mapped[datetime] = mapped_column()

    payment: Mapped[Payment] = relationship(back_populates="credits")


class Withdrawal(Base):
    """A router `Withdrawal` event: credits leaving the router."""

    __tablename__ = "withdrawals"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(Address(), index=True)
    amount: Mapped[int] = mapped_column(TokenAmount())
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(Bytes32())
    tx_hash: Mapped[str] = mapped_column(Bytes32())
    log_index: Mapped[int] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime] = mapped_column()


class Play(Base):
    """A listen. From the chain (a payment, free ones included) or recorded off chain
    (`payment_id` and `block_number` NULL; reorgs leave those alone)."""

    __tablename__ = "plays"
    __table_args__ = (
        Index("ix_plays_song_time", "song_id", "played_at"),
        Index("ix_plays_listener_time", "listener", "played_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    song_id: Mapped[str] = mapped_column(Bytes32(), ForeignKey("songs.song_id"))
    listener: Mapped[str | None] = mapped_column(Address())
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), unique=True
    )
    block_number: Mapped[int | None] = mapped_column(BigInteger, index=True)
    played_at: Mapped[datetime] = mapped_column(index=True)


class Patron(Base):
    """Current patronage of `patron` for `artist`, projected from `patron_events`
    (rebuilt from them after a reorg)."""

    __tablename__ = "patrons"
    __table_args__ = (CheckConstraint("status IN ('active', 'cancelled')", name="status"),)

    artist: Mapped[str] = mapped_column(Address(), primary_key=True)
    patron: Mapped[str] = mapped_column(Address(), primary_key=True, index=True)
    tier: Mapped[int] = mapped_column(SmallInteger)
    level: Mapped[int] = mapped_column(SmallInteger, default=1)
    started_at: Mapped[datetime] = mapped_column()
    paid_until: Mapped[datetime] = mapped_column()
    access_until: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    updated_block: Mapped[int] = mapped_column(BigInteger)


class PatronEvent(Base):
    """A Patronage contract event (joined, renewed, cancelled): the history `patrons`
    is projected from."""

    __tablename__ = "patron_events"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index"),
        Index("ix_patron_events_pair", "artist", "patron", "block_number", "log_index"),
        CheckConstraint("kind IN ('joined', 'renewed', 'cancelled')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    artist: Mapped[str] = mapped_column(Address())
    patron: Mapped[str] = mapped_column(Address())
    kind: Mapped[str] = mapped_column(String(16))
    song_id: Mapped[str | None] = mapped_column(Bytes32())
    tier: Mapped[int | None] = mapped_column(SmallInteger)
    level: Mapped[int | None] = mapped_column(SmallInteger)
    amount: Mapped[int | None] = mapped_column(TokenAmount())
    started_at: Mapped[datetime | None] = mapped_column()
    paid_until: Mapped[datetime | None] = mapped_column()
    access_until: Mapped[datetime | None] = mapped_column()
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(Bytes32())
    tx_hash: Mapped[str] = mapped_column(Bytes32())
    log_index: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column()


class Auction(Base):
    """A Dutch auction (limited release) of a song; `number` counts per song. Sold, revenue
    and clearing price follow the slots; `live` clears when it ends."""

    __tablename__ = "auctions"
    __table_args__ = (
        UniqueConstraint("song_id", "number"),
        UniqueConstraint("tx_hash", "log_index"),
        Index("ix_auctions_live", "live", "end_time"),
        CheckConstraint("floor_price < start_price", name="price_falls"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    song_id: Mapped[str] = mapped_column(Bytes32(), ForeignKey("songs.song_id"))
    number: Mapped[int] = mapped_column(Integer)
    start_price: Mapped[int] = mapped_column(TokenAmount())
    floor_price: Mapped[int] = mapped_column(TokenAmount())
    start_time: Mapped[datetime] = mapped_column()
    end_time: Mapped[datetime] = mapped_column()
    slots: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[int] = mapped_column(TokenAmount(), default=0)
    clearing_price: Mapped[int | None] = mapped_column(TokenAmount())
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    end_reason: Mapped[int | None] = mapped_column(SmallInteger)
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_block: Mapped[int | None] = mapped_column(BigInteger, index=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(Bytes32())
    tx_hash: Mapped[str] = mapped_column(Bytes32())
    log_index: Mapped[int] = mapped_column(Integer)


class AuctionSlot(Base):
    """One sold slot; its holder has permanent access to the song."""

    __tablename__ = "auction_slots"
    __table_args__ = (
        UniqueConstraint("auction_id", "slot"),
        UniqueConstraint("auction_id", "buyer"),
        UniqueConstraint("tx_hash", "log_index"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    buyer: Mapped[str] = mapped_column(Address(), index=True)
    price: Mapped[int] = mapped_column(TokenAmount())
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(Bytes32())
    tx_hash: Mapped[str] = mapped_column(Bytes32())
    log_index: Mapped[int] = mapped_column(Integer)
    purchased_at: Mapped[datetime] = mapped_column()


class AnalyticsEvent(Base):
    """A product analytics event (page view, play started, ...). No IP, no user agent."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_events_name_time", "name", "occurred_at"),
        Index("ix_analytics_events_song_time", "song_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    song_id: Mapped[str | None] = mapped_column(
        Bytes32(), ForeignKey("songs.song_id", ondelete="SET NULL")
    )
    session_id: Mapped[str | None] = mapped_column(String(64))
    listener: Mapped[str | None] = mapped_column(Address())
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexerCheckpoint(Base):
    """The last block an indexer has fully written (number and hash)."""

    __tablename__ = "indexer_checkpoints"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(Bytes32())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IndexedBlock(Base):
    """Recent indexed blocks; a new block whose parent hash differs from the stored hash
    of its predecessor reveals a reorg."""

    __tablename__ = "indexed_blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(Bytes32())
    parent_hash: Mapped[str] = mapped_column(Bytes32())
    block_time: Mapped[datetime | None] = mapped_column()


# Tables of other domains on the same metadata, so the migrations and the schema checks see them.
from mycelix.vouchers import models as _voucher_models  # noqa: E402, F401

"""Test data builders. Actors are named by role (artist, listener, treasury, ...)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from eth_utils import keccak, to_checksum_address
from sqlalchemy.orm import Session

from mycelix.catalog.repositories import ChainRef, NewSong, SongRepository
from mycelix.catalog.types import normalize_bytes32

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PPS = "0x" + keccak(text="pay-per-stream-v1").hex()
GIFT = "0x" + keccak(text="gift-economy-v1").hex()

_counter = itertools.count(1)


def address(role: str) -> str:
    """A stable checksummed address for a role name."""
    return str(to_checksum_address(keccak(text=f"role:{role}")[-20:]))


def bytes32(label: str) -> str:
    return normalize_bytes32(keccak(text=label))


def ref(block: int, log_index: int = 0, *, at: datetime | None = None, tx: str = "") -> ChainRef:
    """A chain reference; the block time defaults to 12 s per block after T0."""
    return ChainRef(
        block_number=block,
        block_hash=bytes32(f"block:{block}"),
        tx_hash=bytes32(tx or f"tx:{block}:{log_index}"),
        log_index=log_index,
        block_time=at or T0 + timedelta(seconds=12 * block),
    )


def make_song(
    db: Session,
    title: str = "",
    *,
    artist: str | None = None,
    genre: str = "ambient",
    strategy: str | None = "pay-per-stream-v1",
    created_at: datetime | None = None,
) -> str:
    """Create a described song; returns its id."""
    n = next(_counter)
    title = title or f"Song {n}"
    song_id = bytes32(f"song:{title}:{n}")
    SongRepository(db).create(
        NewSong(
            song_id=song_id,
            artist=artist or address("artist"),
            title=title,
            audio_cid=f"bafkaudio{n}",
            genre=genre,
            duration_ms=180_000,
            strategy_id=PPS if strategy == "pay-per-stream-v1" else GIFT,
            strategy_name=strategy,
            created_at=created_at or T0 + timedelta(seconds=n),
        )
    )
    return song_id

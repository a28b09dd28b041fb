"""Song payloads of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from mycelix.api.params import Genre, Title
from mycelix.catalog.models import Song
from mycelix.catalog.types import to_checksum
from mycelix.schemas import SplitOut, role_name
from mycelix.strategies import registry


def stream_price(song: Song) -> int | None:
    """The price of one play the listings show for a song, as indexed, by its strategy
    (`Strategy.listed_price`): a per-song price, 0 where plays are free, None where the
    strategy shows none (or the song is not indexed under a known strategy)."""
    strategy = registry.find(song.strategy_name) if song.strategy_name else None
    return None if strategy is None else strategy.listed_price(song.stream_price)


class SongOut(BaseModel):
    song_id: str
    title: str
    artist: str
    artist_name: str | None
    genre: str
    duration: float | None = Field(description="seconds")
    strategy: str | None
    stream_price: str | None = Field(
        description="Pay-per-stream songs: the price of one play in wei, as indexed (what "
        "`POST /api/tx/stream` offers). Null for other strategies."
    )
    patron_only: bool
    registered: bool
    play_count: int
    audio_url: str | None
    cover_url: str | None
    created_at: datetime


class SongDetail(SongOut):
    media_type: str | None
    bitrate: int | None
    sample_rate: int | None
    waveform: list[float] | None
    splits: list[SplitOut]
    registration_tx: str | None
    registration_block: int | None


class SongPage(BaseModel):
    items: list[SongOut]
    next_cursor: str | None
    total: int | None = None


class SongIn(BaseModel):
    title: Title
    genre: Genre = ""
    audio_cid: str = Field(min_length=10, max_length=128)
    cover_cid: str | None = Field(default=None, min_length=10, max_length=128)
    strategy: str = Field(description="strategy registry name", pattern="^[a-z0-9-]{3,64}$")


class SongPatch(BaseModel):
    title: Title | None = None
    genre: Genre | None = None
    cover_cid: str | None = Field(default=None, min_length=10, max_length=128)


def song_out(song: Song) -> dict[str, object]:
    return {
        "song_id": song.song_id,
        "title": song.title,
        "artist": to_checksum(song.artist),
        "artist_name": song.artist_profile.name if song.artist_profile else None,
        "genre": song.genre,
        "duration": song.duration_ms / 1000 if song.duration_ms is not None else None,
        "strategy": song.strategy_name,
        "stream_price": None if (price := stream_price(song)) is None else str(price),
        "patron_only": song.patron_only,
        "registered": song.registration_block is not None,
        "play_count": song.play_count,
        "audio_url": f"/api/songs/{song.song_id}/audio" if song.audio_cid else None,
        "cover_url": f"/api/content/{song.cover_cid}" if song.cover_cid else None,
        "created_at": song.created_at,
    }


def song_detail(song: Song) -> dict[str, object]:
    return {
        **song_out(song),
        "media_type": song.media_type,
        "bitrate": song.bitrate,
        "sample_rate": song.sample_rate,
        "waveform": song.waveform,
        "splits": [
            {
                "recipient": to_checksum(s.recipient),
                "bps": s.bps,
                "role": role_name(s.role),
                "role_code": s.role,
            }
            for s in song.splits
        ],
        "registration_tx": song.registration_tx,
        "registration_block": song.registration_block,
    }

"""A song's detail from the catalogue straight to JSON bytes: one plain SQL statement on a
pooled connection (the song, its artist's name and its splits as a JSON array), orjson; no
ORM objects, no pydantic validation. A cold detail cost ~2 ms of Python that way (session,
identity map, joined and select-in loads, `SongDetail` validation and serialisation) and
costs ~0.2 ms this way (bench/README.md). The bytes are what `SongDetail` would serialise:
`tests/api/test_song_reads.py` compares the two on every kind of song."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Engine

from mycelix.catalog.db import Catalog
from mycelix.catalog.types import to_checksum
from mycelix.schemas import role_name
from mycelix.strategies import registry

_COLUMNS = (
    "s.song_id, s.title, s.artist, a.name, s.genre, s.duration_ms, s.strategy_name, "
    "s.stream_price, s.patron_only, s.registration_block, s.play_count, s.audio_cid, "
    "s.cover_cid, s.created_at, s.media_type, s.bitrate, s.sample_rate, s.waveform, "
    "s.registration_tx"
)
# The splits ride along as one JSON array of [position, recipient, bps, role] (sorted here:
# SQLite before 3.44 has no ORDER BY inside an aggregate).
_SPLITS = (
    "(SELECT {agg}({array}(position, recipient, bps, role)) FROM splits WHERE song_id = s.song_id)"
)
_AGGREGATE = {
    "postgresql": ("json_agg", "json_build_array"),
    "sqlite": ("json_group_array", "json_array"),
}
_SONG = (
    "SELECT {columns}, {splits} FROM songs s JOIN artists a ON a.address = s.artist "
    "WHERE s.song_id = {p}"
)
SQL = {
    dialect: _SONG.format(
        columns=_COLUMNS,
        splits=_SPLITS.format(agg=agg, array=array),
        p="%s" if dialect == "postgresql" else "?",
    )
    for dialect, (agg, array) in _AGGREGATE.items()
}


def detail_json(catalog: Catalog, song_id: str) -> bytes | None:
    """The `GET /api/songs/{song_id}` body of a described song (`song_id` normalised), or
    None when there is no such song or it is a stub."""
    found = detail(catalog, song_id)
    return None if found is None else found[0]


def detail(catalog: Catalog, song_id: str) -> tuple[bytes, str] | None:
    """`detail_json`'s body with the song's artist (lower-case), which the read cache records
    the answer as showing (`mycelix.songs.cache.dependencies` without parsing the body)."""
    # One statement, so one consistent snapshot without a transaction around it: on
    # PostgreSQL it runs in autocommit (no BEGIN and ROLLBACK round trips: a cold read was
    # five round trips, now the pool's ping and this). A Core connection, not a session: the
    # engine's events still time it (mycelix_db_query_duration_seconds).
    engine = _autocommit(catalog.reader) if catalog.dialect == "postgresql" else catalog.reader
    with engine.connect() as connection:
        row = connection.exec_driver_sql(SQL[catalog.dialect], (song_id,)).first()
        connection.rollback()
    if row is None or not row[1]:
        return None
    splits = row[19]
    if isinstance(splits, str | bytes):
        splits = orjson.loads(splits)
    ordered = [split[1:] for split in sorted(splits or ())]
    return orjson.dumps(_detail(row[:19], ordered)), str(row[2]).lower()


@lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    # One proxy per engine, not one per cache miss (it shares the engine's pool).
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _detail(row: Any, splits: Sequence[Any]) -> dict[str, Any]:
    (
        song_id,
        title,
        artist,
        artist_name,
        genre,
        duration_ms,
        strategy,
        price,
        patron_only,
        registration_block,
        play_count,
        audio_cid,
        cover_cid,
        created_at,
        media_type,
        bitrate,
        sample_rate,
        waveform,
        registration_tx,
    ) = row
    # The strategy decides what listings show (as `songs.schemas.stream_price` does).
    found = registry.find(strategy) if strategy else None
    listed = (
        None
        if found is None
        else found.listed_price(None if price is None else int(Decimal(price)))
    )
    shown_price = None if listed is None else str(listed)
    return {
        "song_id": song_id,
        "title": title,
        "artist": to_checksum(artist),
        "artist_name": artist_name,
        "genre": genre,
        "duration": duration_ms / 1000 if duration_ms is not None else None,
        "strategy": strategy,
        "stream_price": shown_price,
        "patron_only": bool(patron_only),
        "registered": registration_block is not None,
        "play_count": int(play_count),
        "audio_url": f"/api/songs/{song_id}/audio" if audio_cid else None,
        "cover_url": f"/api/content/{cover_cid}" if cover_cid else None,
        "created_at": _moment(created_at),
        "media_type": media_type,
        "bitrate": bitrate,
        "sample_rate": sample_rate,
        "waveform": _peaks(waveform),
        "splits": [
            {
                "recipient": to_checksum(recipient),
                "bps": bps,
                "role": role_name(role),
                "role_code": role,
            }
            for recipient, bps, role in splits
        ],
        "registration_tx": registration_tx,
        "registration_block": registration_block,
    }


def _moment(value: Any) -> str:
    """As pydantic writes an aware UTC datetime: ISO 8601 with `Z`."""
    if isinstance(value, str):  # SQLite keeps naive UTC text
        value = datetime.fromisoformat(value)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def _peaks(value: Any) -> list[float] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    if value is None:  # JSON null
        return None
    # `list[float]` in the model: an integral peak (0, 1) is written 0.0, 1.0.
    return [float(x) for x in value]

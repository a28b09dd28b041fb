"""The indexer's catalogue reads and writes; the SQL lives in
`mycelix.catalog.repositories.indexer`, this module adapts the chain reader's types to it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mycelix.catalog.repositories import indexer as repo
from mycelix.catalog.repositories.indexer import (
    RouterState,
    Setting,
    delete_orphan_stubs,
    delete_state,
    load_router_state,
    registered_song_ids,
    reset_patron_only,
    save_router_state,
    state_names,
    stored_blocks,
)

from .reader import SongFields, strategy_name

__all__ = [
    "RouterState",
    "Setting",
    "delete_orphan_stubs",
    "delete_state",
    "load_router_state",
    "registered_song_ids",
    "reset_patron_only",
    "save_router_state",
    "set_song_fields",
    "state_names",
    "stored_blocks",
]


def set_song_fields(session: Session, song_id: str, fields: SongFields) -> bool:
    """Overwrite a song's chain fields with the chain's; False if the song is not in the
    catalogue or was not registered at that block (then it is left alone)."""
    return repo.set_song_fields(
        session,
        song_id,
        artist=fields.artist,
        strategy_id=fields.strategy_id,
        strategy_name=strategy_name(fields.strategy_id) if fields.strategy_id else None,
        patron_only=fields.patron_only,
        stream_price=fields.stream_price,
    )

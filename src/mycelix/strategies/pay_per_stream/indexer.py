"""Pay per stream's events in the catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelix.indexer.reader import hex32

from .strategy import indexed_price

if TYPE_CHECKING:
    from mycelix.indexer.context import IndexContext
    from mycelix.sdk.types import ChainEvent


def on_price_set(ctx: IndexContext, event: ChainEvent) -> None:
    """The price the API displays for a pay-per-stream song, and so offers for its plays."""
    song_id = hex32(event.args["song_id"])
    ctx.songs.update(song_id, stream_price=indexed_price(int(str(event.args["price"]))))
    ctx.touch(event, song_id)

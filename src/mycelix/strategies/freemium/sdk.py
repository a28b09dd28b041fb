"""Freemium through the SDK: `configure(artist_client, song, free_plays, price)` and the
listener's standing. Plays are ordinary streams (`client.stream(song)`): free ones charge 0."""

from __future__ import annotations

from web3.types import TxReceipt

from mycelix.sdk.client import Mycelix, SongRef
from mycelix.sdk.types import Amount, address, amount_wei, song_id

from .strategy import STRATEGY


def configure(client: Mycelix, song: SongRef, free_plays: int, price: Amount) -> TxReceipt:
    """Set the song's free plays per listener and later price (artist only)."""
    call = client.contract(STRATEGY.contract).functions.configure(
        song_id(song), free_plays, amount_wei(price)
    )
    return client.sender.transact(call)


def free_plays_left(client: Mycelix, song: SongRef, listener: str | None = None) -> int:
    """How many more plays of the song are free to `listener` (default: the client's)."""
    who = address(listener) if listener else client.address
    fn = client.contract(STRATEGY.contract).functions.free_plays_left(song_id(song), who)
    return int(fn.call())

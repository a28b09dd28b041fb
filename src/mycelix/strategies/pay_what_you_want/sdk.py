"""Pay what you want through the SDK: `configure(artist_client, song, minimum, suggested)` and
`pay(listener_client, song, amount)`, a play charged exactly `amount`."""

from __future__ import annotations

from web3.types import TxReceipt

from mycelix.chain.units import PaymentType
from mycelix.sdk.client import Mycelix, SongRef
from mycelix.sdk.types import Amount, amount_wei, song_id

from .strategy import STRATEGY


def configure(client: Mycelix, song: SongRef, minimum: Amount, suggested: Amount) -> TxReceipt:
    """Set the song's minimum and suggested amount (artist only)."""
    call = client.contract(STRATEGY.contract).functions.configure(
        song_id(song), amount_wei(minimum), amount_wei(suggested)
    )
    return client.sender.transact(call)


def pay(client: Mycelix, song: SongRef, amount: Amount) -> TxReceipt:
    """One play at `amount` (at least the minimum; 0 is a free play where the minimum is 0).
    The router pulls the whole amount, so it is approved first (the SDK's own `stream` approves
    the quote, which here is only the minimum)."""
    wei = amount_wei(amount)
    if wei:
        client.ensure_allowance(wei)
    return client.pay(song, wei, PaymentType.STREAM)


def suggested(client: Mycelix, song: SongRef) -> int:
    """The amount the artist suggests for a play."""
    return int(client.contract(STRATEGY.contract).functions.suggested(song_id(song)).call())

"""Gift economy's events in the catalogue: CGC minted counts in the metrics only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelix.chain.units import ONE
from mycelix.indexer.context import independent

if TYPE_CHECKING:
    from mycelix.indexer.context import IndexContext
    from mycelix.sdk.types import ChainEvent


@independent  # a metric only: the stream's payment before it need not be written first
def on_listen_rewarded(ctx: IndexContext, event: ChainEvent) -> None:
    amount = int(str(event.args["amount"]))
    if amount:
        ctx.count(lambda m: m.cgc_minted.inc(amount / ONE))

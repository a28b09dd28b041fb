"""Dutch auction's events in the catalogue: auctions and their sold slots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mycelix.catalog.repositories import AuctionCreatedIn
from mycelix.indexer.reader import hex32

if TYPE_CHECKING:
    from mycelix.indexer.context import IndexContext
    from mycelix.sdk.types import ChainEvent


def _time(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def on_auction_created(ctx: IndexContext, event: ChainEvent) -> None:
    args = event.args
    ctx.auctions.record_created(
        AuctionCreatedIn(
            song_id=hex32(args["song_id"]),
            number=int(str(args["number"])),
            start_price=int(str(args["start_price"])),
            floor_price=int(str(args["floor_price"])),
            start_time=_time(args["start_time"]),
            end_time=_time(args["end_time"]),
            slots=int(str(args["slots"])),
            ref=ctx.ref(event),
        )
    )


def on_slot_purchased(ctx: IndexContext, event: ChainEvent) -> None:
    args = event.args
    if ctx.auctions.record_slot(
        hex32(args["song_id"]),
        int(str(args["number"])),
        slot=int(str(args["slot"])),
        buyer=str(args["buyer"]),
        price=int(str(args["price"])),
        ref=ctx.ref(event),
    ):
        ctx.count(lambda m: m.auction_slots.inc())


def on_auction_ended(ctx: IndexContext, event: ChainEvent) -> None:
    args = event.args
    ctx.auctions.record_ended(
        hex32(args["song_id"]),
        int(str(args["number"])),
        reason=int(str(args["reason"])),
        sold=int(str(args["sold"])),
        revenue=int(str(args["revenue"])),
        clearing_price=int(str(args["clearing_price"])),
        ended_at=_time(args["ended_at"]),
        block_number=event.block_number,
    )

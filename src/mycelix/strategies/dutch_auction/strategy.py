"""Dutch auction off chain: its catalogue entry, calculator, economy view and events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from web3 import Web3

from mycelix.chain.units import PaymentType
from mycelix.schemas import Amount
from mycelix.strategies.base import (
    TIP,
    BaseStrategy,
    chain_time,
    payment_type,
    sid,
    view,
    wei_field,
)
from mycelix.strategies.protocol import Catalogue, Projection
from mycelix.strategies.schemas import ConfigField

if TYPE_CHECKING:
    from mycelix.platform import Platform
    from mycelix.sdk.types import AuctionState
    from mycelix.strategies.schemas import CalculatorIn

# The contract's bounds (a test compares them with the deployed contract).
MAX_PRICE = 2**96 - 1
MAX_SLOTS = 2**24 - 1
MAX_TIME = 2**64 - 1


class AuctionChainOut(BaseModel):
    number: int
    start_price: Amount
    floor_price: Amount
    start_time: datetime | None
    end_time: datetime | None
    duration: int
    slots: int
    sold: int
    revenue: Amount
    clearing_price: Amount
    average_price: Amount
    live: bool
    current_price: Amount | None


class AuctionOut(BaseModel):
    auction: AuctionChainOut | None = Field(description="The latest auction; null if none.")
    holds_slot: bool | None = Field(default=None, description="The signed-in listener.")


class DutchAuction(BaseStrategy):
    name = "dutch-auction-v1"
    contract = "DutchAuction"
    label = "Dutch auction"
    short = "auction"
    order = 40
    free_plays = True
    denial_reason = "no_slot"
    economy_field = "auction"

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(
            title="Dutch auction",
            description="A limited release: N access slots at a price falling linearly from a "
            "start price to a floor. One slot per address; a slot is permanent access.",
            payment_types=[
                payment_type(
                    PaymentType.ACCESS,
                    "the auction's current price; the offer is the buyer's maximum",
                ),
                payment_type(PaymentType.STREAM, "0 (free) for slot holders; refused to others"),
                TIP,
            ],
            config=[
                wei_field(
                    "start_price",
                    "Price when sales open; above the floor.",
                    minimum=1,
                    maximum=MAX_PRICE,
                    default=None,
                    action="create_auction",
                ),
                wei_field(
                    "floor_price",
                    "Price reached at the end.",
                    minimum=0,
                    maximum=MAX_PRICE - 1,
                    default=0,
                    action="create_auction",
                ),
                ConfigField(
                    name="start_time",
                    type="integer",
                    unit="unix seconds",
                    scope="song",
                    action="create_auction",
                    minimum=0,
                    maximum=MAX_TIME,
                    default=0,
                    description="When sales open; 0 means now.",
                ),
                ConfigField(
                    name="duration",
                    type="seconds",
                    unit="s",
                    scope="song",
                    action="create_auction",
                    minimum=1,
                    maximum=MAX_TIME,
                    description="From the start to the floor price.",
                ),
                ConfigField(
                    name="slots",
                    type="integer",
                    unit="slots",
                    scope="song",
                    action="create_auction",
                    minimum=1,
                    maximum=MAX_SLOTS,
                    description="How many slots are for sale.",
                ),
            ],
            rules={"price": "start - (start - floor) * elapsed // duration (rounded up)"},
        )

    def project(self, body: CalculatorIn) -> Projection:
        clearing = body.clearing_price or 0
        return Projection(
            lines=[("auction slots", body.slots * body.auctions_per_month, clearing)],
            assumptions=[
                "Every slot sells at `clearing_price`; in a Dutch auction earlier buyers pay "
                "more, so real revenue is at least this.",
                "Slot holders stream for free.",
            ],
        )

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> AuctionOut:
        return auction_out(p, song_id, viewer)

    def api_router(self) -> Any:
        from .endpoints import router

        return router

    def indexer_handlers(self) -> Mapping[str, Any]:
        from . import indexer

        return {
            "AuctionCreated": indexer.on_auction_created,
            "SlotPurchased": indexer.on_slot_purchased,
            "AuctionEnded": indexer.on_auction_ended,
        }


def auction_out(p: Platform, song_id: str, viewer: str | None) -> AuctionOut:
    """A song's latest auction as the chain has it now, and whether the viewer holds a slot."""
    state: AuctionState = p.sdk.auction(song_id)
    holds = None
    if viewer is not None:
        fn = p.sdk.contract(STRATEGY.contract).functions.holds_slot(
            sid(song_id), Web3.to_checksum_address(viewer)
        )
        holds = bool(view(fn))
    if state.number == 0:
        return AuctionOut(auction=None, holds_slot=holds)
    return AuctionOut(
        auction=AuctionChainOut(
            number=state.number,
            start_price=Amount.of(state.start_price),
            floor_price=Amount.of(state.floor_price),
            start_time=chain_time(state.start_time),
            end_time=chain_time(state.end_time),
            duration=state.duration,
            slots=state.slots,
            sold=state.sold,
            revenue=Amount.of(state.revenue),
            clearing_price=Amount.of(state.clearing_price),
            average_price=Amount.of(state.average_price),
            live=state.live,
            current_price=Amount.of(p.sdk.auction_price(song_id)),
        ),
        holds_slot=holds,
    )


STRATEGY = DutchAuction()

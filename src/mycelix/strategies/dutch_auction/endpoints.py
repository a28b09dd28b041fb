"""The Dutch auction's own read: a song's auction (`GET /api/songs/{id}/auction`), live from
the chain, with its history and sold slots from the catalogue (indexed events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from mycelix.api.deps import OptionalAddress, PlatformDep, ReadSession
from mycelix.api.errors import APIError
from mycelix.catalog.repositories import AuctionRepository, SongRepository
from mycelix.catalog.types import to_checksum
from mycelix.schemas import Amount, SongId

from .strategy import AuctionOut, auction_out

router = APIRouter(tags=["strategies"])

SongPath = Annotated[SongId, Path(description="The song's bytes32 id.")]


class SlotOut(BaseModel):
    slot: int
    buyer: str
    price: Amount
    purchased_at: datetime
    tx_hash: str


class AuctionRecordOut(BaseModel):
    number: int
    start_price: Amount
    floor_price: Amount
    start_time: datetime
    end_time: datetime
    slots: int
    sold: int
    revenue: Amount
    clearing_price: Amount | None
    live: bool
    end_reason: int | None
    ended_at: datetime | None


class SongAuctionOut(BaseModel):
    song_id: str
    chain: AuctionOut
    history: list[AuctionRecordOut] = Field(description="From the catalogue, oldest first.")
    latest_slots: list[SlotOut] = Field(description="Slots sold in the latest indexed auction.")


@router.get("/api/songs/{song_id}/auction", responses={404: {}})
def song_auction(
    song_id: SongPath, p: PlatformDep, session: ReadSession, viewer: OptionalAddress
) -> SongAuctionOut:
    """The song's latest auction as the chain has it now (with the current price), and its
    auction history and sold slots from the catalogue."""
    registered = p.sdk.song_artist(song_id) is not None
    if not registered and SongRepository(session).get(song_id) is None:
        raise APIError(404, f"song {song_id} not found")
    auctions = AuctionRepository(session)
    history = auctions.of_song(song_id)
    slots = auctions.slots(history[-1].id) if history else []
    return SongAuctionOut(
        song_id=song_id,
        chain=auction_out(p, song_id, viewer),
        history=[
            AuctionRecordOut(
                number=a.number,
                start_price=Amount.of(a.start_price),
                floor_price=Amount.of(a.floor_price),
                start_time=a.start_time,
                end_time=a.end_time,
                slots=a.slots,
                sold=a.sold,
                revenue=Amount.of(a.revenue),
                clearing_price=None if a.clearing_price is None else Amount.of(a.clearing_price),
                live=a.live,
                end_reason=a.end_reason,
                ended_at=a.ended_at,
            )
            for a in history
        ],
        latest_slots=[
            SlotOut(
                slot=s.slot,
                buyer=to_checksum(s.buyer),
                price=Amount.of(s.price),
                purchased_at=s.purchased_at,
                tx_hash=s.tx_hash,
            )
            for s in slots
        ],
    )

"""Dutch auctions and their slots, from the DutchAuction contract's events.

``sold``, ``revenue`` and ``clearing_price`` (the price of the last slot sold) are
derived from the slots whenever one is added or removed, so they are right after a reorg
without replaying anything; an `AuctionEnded` event sets the contract's final figures
(which equal the derived ones) and closes the auction, and a reorg above it reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..models import Auction, AuctionSlot
from ..sqlfuncs import amount_sum, insert_ignoring
from ..types import check_amount, normalize_address, normalize_bytes32, utc
from .common import ChainRef, NotFound


@dataclass(frozen=True)
class AuctionCreatedIn:
    song_id: str | bytes
    number: int
    start_price: int
    floor_price: int
    start_time: datetime
    end_time: datetime
    slots: int
    ref: ChainRef


class AuctionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record_created(self, event: AuctionCreatedIn) -> Auction | None:
        """Insert an auction; None if this event was recorded already."""
        if not check_amount(event.floor_price) < check_amount(event.start_price):
            raise ValueError("floor price must be below start price")
        ref = event.ref
        auction_id = self.session.execute(
            insert_ignoring(self.session, Auction, "tx_hash", "log_index")
            .values(
                song_id=normalize_bytes32(event.song_id),
                number=event.number,
                start_price=event.start_price,
                floor_price=event.floor_price,
                start_time=utc(event.start_time),
                end_time=utc(event.end_time),
                slots=event.slots,
                sold=0,
                revenue=0,
                live=True,
                block_number=ref.block_number,
                block_hash=ref.block_hash,
                tx_hash=ref.tx_hash,
                log_index=ref.log_index,
            )
            .returning(Auction.id)
        ).scalar_one_or_none()
        return None if auction_id is None else self.session.get(Auction, auction_id)

    def get(self, song_id: str | bytes, number: int) -> Auction | None:
        stmt = select(Auction).where(
            Auction.song_id == normalize_bytes32(song_id), Auction.number == number
        )
        return self.session.scalars(stmt).one_or_none()

    def require(self, song_id: str | bytes, number: int) -> Auction:
        auction = self.get(song_id, number)
        if auction is None:
            raise NotFound(f"auction {number} of song {normalize_bytes32(song_id)} not found")
        return auction

    def record_slot(
        self, song_id: str | bytes, number: int, *, slot: int, buyer: str, price: int, ref: ChainRef
    ) -> bool:
        """Insert a `SlotPurchased`; False for a replay."""
        auction = self.require(song_id, number)
        inserted = self.session.execute(
            insert_ignoring(self.session, AuctionSlot, "tx_hash", "log_index")
            .values(
                auction_id=auction.id,
                slot=slot,
                buyer=normalize_address(buyer),
                price=check_amount(price),
                block_number=ref.block_number,
                block_hash=ref.block_hash,
                tx_hash=ref.tx_hash,
                log_index=ref.log_index,
                purchased_at=ref.block_time,
            )
            .returning(AuctionSlot.id)
        ).scalar_one_or_none()
        if inserted is None:
            return False
        self._refresh(auction.id)
        return True

    def record_ended(
        self,
        song_id: str | bytes,
        number: int,
        *,
        reason: int,
        sold: int,
        revenue: int,
        clearing_price: int,
        ended_at: datetime,
        block_number: int,
    ) -> Auction:
        """Apply `AuctionEnded` (idempotent: the same event sets the same values)."""
        auction = self.require(song_id, number)
        auction.live = False
        auction.end_reason = reason
        auction.sold = sold
        auction.revenue = check_amount(revenue)
        auction.clearing_price = check_amount(clearing_price) if sold else None
        auction.ended_at = utc(ended_at)
        auction.ended_block = block_number
        self.session.flush()
        return auction

    def _refresh(self, auction_id: int) -> None:
        """Derive sold / revenue / clearing price from the auction's slots."""
        sold, revenue = self.session.execute(
            select(func.count(), amount_sum(AuctionSlot.price)).where(
                AuctionSlot.auction_id == auction_id
            )
        ).one()
        last = self.session.scalar(
            select(AuctionSlot.price)
            .where(AuctionSlot.auction_id == auction_id)
            .order_by(AuctionSlot.block_number.desc(), AuctionSlot.log_index.desc())
            .limit(1)
        )
        self.session.execute(
            update(Auction)
            .where(Auction.id == auction_id)
            .values(sold=int(sold), revenue=int(revenue or 0), clearing_price=last)
            .execution_options(synchronize_session=False)
        )
        auction = self.session.identity_map.get(self.session.identity_key(Auction, (auction_id,)))
        if auction is not None:
            self.session.expire(auction)

    def slots(self, auction_id: int) -> list[AuctionSlot]:
        stmt = select(AuctionSlot).where(AuctionSlot.auction_id == auction_id)
        return list(self.session.scalars(stmt.order_by(AuctionSlot.slot)))

    def of_song(self, song_id: str | bytes) -> list[Auction]:
        """A song's auctions, oldest first: its price-discovery history."""
        stmt = select(Auction).where(Auction.song_id == normalize_bytes32(song_id))
        return list(self.session.scalars(stmt.order_by(Auction.number)))

    def live(self, at: datetime, *, limit: int = 50) -> list[Auction]:
        """Auctions open at `at` (started, not ended, not past their end time),
        ending soonest first."""
        at = utc(at)
        stmt = (
            select(Auction)
            .where(Auction.live.is_(True), Auction.start_time <= at, Auction.end_time > at)
            .order_by(Auction.end_time, Auction.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def holds_slot(self, song_id: str | bytes, buyer: str) -> bool:
        """Whether `buyer` bought a slot of any auction of the song (permanent access)."""
        stmt = (
            select(AuctionSlot.id)
            .join(Auction, Auction.id == AuctionSlot.auction_id)
            .where(
                Auction.song_id == normalize_bytes32(song_id),
                AuctionSlot.buyer == normalize_address(buyer),
            )
            .limit(1)
        )
        return self.session.scalar(stmt) is not None

    def delete_above(self, block_number: int) -> dict[str, int]:
        """Reorg: drop slots and auctions created above `block_number`, reopen auctions
        whose end was above it, and re-derive the figures of the auctions touched."""
        touched = set(
            self.session.scalars(
                select(AuctionSlot.auction_id).where(AuctionSlot.block_number > block_number)
            )
        )
        slots: Any = self.session.execute(
            delete(AuctionSlot)
            .where(AuctionSlot.block_number > block_number)
            .execution_options(synchronize_session=False)
        )
        auctions: Any = self.session.execute(
            delete(Auction)
            .where(Auction.block_number > block_number)
            .execution_options(synchronize_session=False)
        )
        reopened = set(
            self.session.scalars(select(Auction.id).where(Auction.ended_block > block_number))
        )
        self.session.execute(
            update(Auction)
            .where(Auction.id.in_(reopened))
            .values(live=True, end_reason=None, ended_at=None, ended_block=None)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        remaining = select(Auction.id).where(Auction.id.in_(touched | reopened))
        for auction_id in list(self.session.scalars(remaining)):
            self._refresh(auction_id)
        return {
            "auction_slots": int(slots.rowcount or 0),
            "auctions": int(auctions.rowcount or 0),
            "auctions_reopened": len(reopened),
        }

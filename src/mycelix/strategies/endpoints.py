"""Strategy reads: `GET /api/strategies` (what each strategy charges and how it is configured),
`POST /api/strategies/preview-splits`, `POST /api/strategies/{name}/calculator` (the upload
wizard's earnings calculator), a song's live economics (`GET /api/songs/{id}/economy`), its
auction (`GET /api/songs/{id}/auction`), and an artist's patron tiers and patrons.

Chain figures are read live through the SDK; patron lists and auction history come from the
catalogue (indexed events). Everything here is public chain data, so sign-in is optional: a
signed-in listener also gets their own standing (profile, patronage, slot, authorisation).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from mycelix.api.deps import OptionalAddress, PlatformDep, ReadSession, rate_limit
from mycelix.api.errors import APIError
from mycelix.catalog.repositories import AuctionRepository, PatronRepository, SongRepository
from mycelix.catalog.types import to_checksum
from mycelix.schemas import Address, Amount, SongId
from mycelix.strategies import service
from mycelix.strategies.schemas import (
    AuctionRecordOut,
    CalculatorIn,
    CalculatorOut,
    EconomyOut,
    PatronOut,
    PatronsOut,
    PreviewIn,
    PreviewOut,
    SlotOut,
    SongAuctionOut,
    StrategiesOut,
    TiersOut,
)

router = APIRouter(tags=["strategies"], dependencies=[Depends(rate_limit("read", 600))])

SongPath = Annotated[SongId, Path(description="The song's bytes32 id.")]
AddressPath = Annotated[Address, Path(description="The artist's address.")]


@router.get("/api/strategies")
def list_strategies(p: PlatformDep) -> StrategiesOut:
    """Every strategy: what it charges per payment type and its configuration fields with
    the contracts' bounds and defaults."""
    return StrategiesOut(
        protocol_fee_bps=p.sdk.protocol_fee_bps(), strategies=service.strategies(p)
    )


@router.post("/api/strategies/preview-splits", responses={404: {}, 422: {}})
def preview_splits(body: PreviewIn, p: PlatformDep) -> PreviewOut:
    """How the router would divide a charge of `amount`: the protocol fee (read from the
    chain) and each recipient's exact credit, for proposed splits or a registered song's."""
    if body.song_id is not None:
        recipients = service.chain_recipients(p, body.song_id)
    else:
        assert body.splits is not None
        recipients = [service.Recipient(s.recipient, s.bps, s.role.code) for s in body.splits]
    return service.preview(body.amount, p.sdk.protocol_fee_bps(), recipients)


@router.post("/api/strategies/{name}/calculator", responses={404: {}, 422: {}})
def calculator(name: str, body: CalculatorIn, p: PlatformDep) -> CalculatorOut:
    """Projected monthly gross, protocol fee, net and per-recipient income of a song under
    strategy `name`, from expected plays, listeners, tips, patrons per tier or auction
    slots. The assumptions behind the figures are listed in the answer."""
    service.require_strategy(name)
    fee_bps = p.sdk.protocol_fee_bps() if body.fee_bps is None else body.fee_bps
    if body.song_id is not None:
        recipients = service.chain_recipients(p, body.song_id)
    elif body.splits is not None:
        recipients = [service.Recipient(s.label, s.bps, s.role.code) for s in body.splits]
    else:
        recipients = [service.Recipient("artist", 10_000, 0)]
    return service.calculate(name, body, fee_bps, recipients)


@router.get("/api/songs/{song_id}/economy", responses={404: {}})
def song_economy(song_id: SongPath, p: PlatformDep, viewer: OptionalAddress) -> EconomyOut:
    """The song's live on-chain economics under its current strategy: price, gift
    configuration, patron tiers or auction, its splits and the protocol fee; with sign-in,
    also the viewer's own standing and whether they may stream it now without paying."""
    return service.economy(p, song_id, viewer)


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
        chain=service.auction_out(p, song_id, viewer),
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


@router.get("/api/artists/{address}/tiers")
def artist_tiers(address: AddressPath, p: PlatformDep, session: ReadSession) -> TiersOut:
    """The artist's patron tiers, loyalty discounts and minimum commitment (from the chain)
    and how many patrons have access now (from the catalogue)."""
    tiers, discounts, commitment = service.tiers_of(p, address)
    active = PatronRepository(session).count_active(address, service.chain_now(p))
    return TiersOut(
        artist=address,
        tiers=tiers,
        discounts_bps=discounts,
        min_commitment=commitment,
        active_patrons=active,
    )


@router.get("/api/artists/{address}/patrons")
def artist_patrons(
    address: AddressPath,
    p: PlatformDep,
    session: ReadSession,
    active: Annotated[bool, Query(description="Only patrons with access now.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PatronsOut:
    """The artist's patrons from the catalogue, longest-standing first."""
    now = service.chain_now(p)
    rows = PatronRepository(session).of_artist(
        address, active_at=now if active else None, limit=limit
    )
    return PatronsOut(
        artist=address,
        patrons=[
            PatronOut(
                patron=to_checksum(r.patron),
                tier=r.tier,
                level=r.level,
                status=r.status,
                started_at=r.started_at,
                paid_until=r.paid_until,
                access_until=r.access_until,
                active=r.access_until >= now,
            )
            for r in rows
        ],
    )

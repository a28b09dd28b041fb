"""Patronage's own reads: an artist's tiers (`GET /api/artists/{address}/tiers`) and patrons
(`GET /api/artists/{address}/patrons`). Tiers are read live from the chain; patrons come from
the catalogue (indexed events)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from mycelix.api.deps import PlatformDep, ReadSession
from mycelix.catalog.repositories import PatronRepository
from mycelix.catalog.types import to_checksum
from mycelix.platform import Platform
from mycelix.schemas import Address

from .strategy import TierOut, tiers_of

router = APIRouter(tags=["strategies"])

AddressPath = Annotated[Address, Path(description="The artist's address.")]


class TiersOut(BaseModel):
    artist: str
    tiers: list[TierOut]
    discounts_bps: list[int]
    min_commitment: int
    active_patrons: int = Field(description="From the catalogue (indexed events).")


class PatronOut(BaseModel):
    patron: str
    tier: int
    level: int
    status: str
    started_at: datetime
    paid_until: datetime
    access_until: datetime
    active: bool


class PatronsOut(BaseModel):
    artist: str
    patrons: list[PatronOut]


def _chain_now(p: Platform) -> datetime:
    # Chain time (dev chains travel in time; the catalogue's times are block times).
    return datetime.fromtimestamp(p.chain.w3.eth.get_block("latest")["timestamp"], UTC)


@router.get("/api/artists/{address}/tiers")
def artist_tiers(address: AddressPath, p: PlatformDep, session: ReadSession) -> TiersOut:
    """The artist's patron tiers, loyalty discounts and minimum commitment (from the chain)
    and how many patrons have access now (from the catalogue)."""
    tiers, discounts, commitment = tiers_of(p, address)
    active = PatronRepository(session).count_active(address, _chain_now(p))
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
    now = _chain_now(p)
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

"""Patronage off chain: its catalogue entry, calculator, economy view and events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from web3 import Web3

from mycelix.chain.units import BPS, DAY, PaymentType
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
    from mycelix.strategies.schemas import CalculatorIn

# The contract's constants (a test compares them with the deployed contract).
DEFAULT_DISCOUNTS = [0, 500, 1_000, 2_000]
MAX_DISCOUNT_BPS = 5_000
MAX_COMMITMENT = 365 * DAY
PERIOD = 30 * DAY
GRACE = 7 * DAY


class TierOut(BaseModel):
    index: int = Field(description="Pass as `tier` to become_patron.")
    name: str
    fee: Amount
    exclusive: bool


class PatronStateOut(BaseModel):
    tier: int
    exclusive: bool
    start: datetime | None
    paid_until: datetime | None
    commitment_end: datetime | None
    cancelled: bool
    active: bool
    level: int


class PatronageOut(BaseModel):
    patron_only: bool
    tiers: list[TierOut]
    discounts_bps: list[int]
    min_commitment: int = Field(description="Seconds.")
    patron: PatronStateOut | None = Field(default=None, description="The signed-in patron.")


class Patronage(BaseStrategy):
    name = "patronage-v1"
    contract = "Patronage"
    label = "patronage"
    short = "patron"
    order = 30
    free_plays = True
    denial_reason = "patrons_only"
    economy_field = "patronage"

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(
            title="Patronage",
            description="Listeners support an artist with a monthly fee in one of up to 8 "
            "named tiers; continuous patronage earns loyalty levels 1-4 with renewal "
            "discounts. The artist may keep songs for patrons of exclusive tiers only.",
            payment_types=[
                payment_type(
                    PaymentType.PATRONAGE,
                    "the tier's monthly fee, minus the loyalty discount on renewal",
                    option="the tier index",
                ),
                payment_type(
                    PaymentType.STREAM,
                    "0 (free) on public songs and for exclusive-tier patrons; "
                    "refused to others on patron-only songs",
                ),
                TIP,
            ],
            config=[
                ConfigField(
                    name="tiers",
                    type="array",
                    scope="artist",
                    action="configure_patronage",
                    description="The artist's tiers (replaced as a whole).",
                    min_items=1,
                    max_items=8,
                    items=[
                        ConfigField(
                            name="name",
                            type="string",
                            unit="UTF-8 bytes",
                            scope="artist",
                            action="configure_patronage",
                            minimum=1,
                            maximum=32,
                            description="Tier name.",
                        ),
                        wei_field(
                            "fee",
                            "Monthly fee.",
                            minimum=1,
                            maximum=2**128 - 1,
                            default=None,
                            action="configure_patronage",
                            scope="artist",
                        ),
                        ConfigField(
                            name="exclusive",
                            type="boolean",
                            scope="artist",
                            action="configure_patronage",
                            default=False,
                            description="Opens patron-only songs.",
                        ),
                    ],
                ),
                ConfigField(
                    name="discounts_bps",
                    type="array",
                    unit="bps",
                    scope="artist",
                    action="configure_patronage",
                    minimum=0,
                    maximum=MAX_DISCOUNT_BPS,
                    default=DEFAULT_DISCOUNTS,
                    min_items=4,
                    max_items=4,
                    description="Renewal discounts of loyalty levels 1-4, non-decreasing.",
                ),
                ConfigField(
                    name="min_commitment",
                    type="seconds",
                    unit="s",
                    scope="artist",
                    action="configure_patronage",
                    minimum=0,
                    maximum=MAX_COMMITMENT,
                    default=0,
                    description="Time from the start before a patron may cancel.",
                ),
                ConfigField(
                    name="patron_only",
                    type="boolean",
                    scope="song",
                    action="set_patron_only",
                    default=False,
                    description="Only patrons of an exclusive tier may stream the song.",
                ),
            ],
            rules={
                "period_seconds": PERIOD,
                "grace_seconds": GRACE,
                "level_thresholds_days": [90, 180, 365],
                "max_tiers": 8,
            },
        )

    def project(self, body: CalculatorIn) -> Projection:
        discounts = body.discounts_bps or DEFAULT_DISCOUNTS
        lines = []
        for i, tier in enumerate(body.tiers):
            charge = (
                tier.fee if tier.joining else tier.fee - tier.fee * discounts[tier.level - 1] // BPS
            )
            lines.append((f"patronage: {tier.name or f'tier {i}'}", tier.patrons, charge))
        return Projection(
            lines=lines,
            assumptions=[
                "Each patron pays their tier once a month: the full fee when joining, the fee "
                "minus their loyalty level's discount when renewing.",
                "Patron-only and public songs stream for free; patronage is per artist, so this "
                "is the income of all the artist's patronage songs.",
            ],
        )

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> PatronageOut:
        tiers, discounts, commitment = tiers_of(p, artist)
        patron_only = bool(view(self.contract_of(p).functions.is_patron_only(sid(song_id))))
        out = PatronageOut(
            patron_only=patron_only,
            tiers=tiers,
            discounts_bps=discounts,
            min_commitment=commitment,
        )
        if viewer is not None:
            st = p.sdk.patron(artist, viewer)
            out.patron = PatronStateOut(
                tier=st.tier,
                exclusive=st.exclusive,
                start=chain_time(st.start),
                paid_until=chain_time(st.paid_until),
                commitment_end=chain_time(st.commitment_end),
                cancelled=st.cancelled,
                active=st.active,
                level=st.level,
            )
        return out

    def api_router(self) -> Any:
        from .endpoints import router

        return router

    def indexer_handlers(self) -> Mapping[str, Any]:
        from . import indexer

        return {
            "PatronJoined": indexer.on_patron_joined,
            "PatronRenewed": indexer.on_patron_renewed,
            "PatronCancelled": indexer.on_patron_cancelled,
            "PatronOnlySet": indexer.on_patron_only_set,
            "PatronageConfigured": None,
        }


def tiers_of(p: Platform, artist: str) -> tuple[list[TierOut], list[int], int]:
    """An artist's tiers, renewal discounts and minimum commitment, read live."""
    patronage = p.sdk.contract(STRATEGY.contract)
    who = Web3.to_checksum_address(artist)
    tiers = [
        TierOut(index=i, name=t.name, fee=Amount.of(t.fee), exclusive=t.exclusive)
        for i, t in enumerate(p.sdk.tiers(who))
    ]
    discounts = [int(d) for d in view(patronage.functions.discounts(who))]
    commitment = int(view(patronage.functions.min_commitment(who)))
    return tiers, discounts, commitment


STRATEGY = Patronage()

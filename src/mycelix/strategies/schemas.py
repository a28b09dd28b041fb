"""Payloads of the strategy endpoints: the strategy catalogue, split previews, the earnings
calculator and a song's live economics. Amounts are wei strings (see mycelix.schemas)."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mycelix.chain.units import BPS
from mycelix.schemas import (
    WEI_DOC,
    Amount,
    PositiveWei,
    Role,
    SongId,
    SplitOut,
    Wei,
)
from mycelix.transactions.schemas import Splits

# ------------------------------------------------------------------ catalogue


class ConfigField(BaseModel):
    """One configurable value of a strategy, described like a JSON-schema property.
    Bounds and defaults of `wei` fields are decimal strings (exact); others are numbers."""

    name: str
    type: str = Field(description="wei | integer | bps | seconds | boolean | string | array")
    scope: str = Field(description="song: set per song; artist: one setting for all their songs")
    action: str = Field(description="The `POST /api/tx/{action}` that sets it.")
    description: str
    unit: str | None = None
    minimum: int | str | None = None
    maximum: int | str | None = None
    default: Any = None
    items: list[ConfigField] | None = Field(
        default=None, description="For arrays of objects: the fields of each item."
    )
    min_items: int | None = None
    max_items: int | None = None


class PaymentTypeInfo(BaseModel):
    type: str = Field(description="stream | download | tip | patronage | access")
    code: int = Field(description="The router's payment-type ordinal.")
    charge: str = Field(description="What the strategy charges for it.")
    option: str | None = Field(default=None, description="Meaning of the payment's `option`.")


class StrategyOut(BaseModel):
    name: str = Field(description="Registry name: keccak256 of it is the router's id.")
    strategy_id: str = Field(description="keccak256 of the name: the router's bytes32 id.")
    contract: str = Field(description="Address of the strategy contract.")
    enabled: bool = Field(description="Whether new songs may register under it.")
    title: str
    description: str
    payment_types: list[PaymentTypeInfo]
    config: list[ConfigField]
    rules: dict[str, Any] = Field(description="The contract's fixed constants.")


class StrategiesOut(BaseModel):
    protocol_fee_bps: int = Field(description="Taken from every charged payment.")
    strategies: list[StrategyOut]


# -------------------------------------------------------------------- preview


class ShareOut(BaseModel):
    recipient: str
    role: str
    bps: int
    amount: Amount


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Wei = Field(description="The charged amount to divide. " + WEI_DOC)
    splits: Splits | None = Field(default=None, description="Splits to try out ...")
    song_id: SongId | None = Field(default=None, description="... or a registered song's splits.")

    @model_validator(mode="after")
    def _one_source(self) -> PreviewIn:
        if (self.splits is None) == (self.song_id is None):
            raise ValueError("give either `splits` or `song_id`")
        return self


class PreviewOut(BaseModel):
    amount: Amount
    fee_bps: int
    fee: Amount = Field(description="amount * fee_bps // 10000, credited to the treasury.")
    net: Amount
    shares: list[ShareOut] = Field(
        description="Each recipient but the first gets net * bps // 10000; the first gets "
        "the rest, so the shares sum to the net exactly."
    )


# ----------------------------------------------------------------- calculator


class CalcSplit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=64, description="A name or an address.")
    bps: int = Field(ge=1, le=BPS)
    role: Role = Role.ARTIST


def _check_calc_splits(splits: list[CalcSplit]) -> list[CalcSplit]:
    if not 1 <= len(splits) <= 64:
        raise ValueError(f"1 to 64 recipients, got {len(splits)}")
    if sum(s.bps for s in splits) != BPS:
        raise ValueError(f"split shares must sum to {BPS} basis points")
    return splits


class TipsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0, le=10**9, description="Tips per month.")
    amount: PositiveWei = Field(description="Each tip. " + WEI_DOC)


class PatronTierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=32)
    fee: PositiveWei = Field(description="Monthly fee of the tier. " + WEI_DOC)
    patrons: int = Field(ge=0, le=10**9, description="Patrons paying this tier per month.")
    level: int = Field(
        default=1, ge=1, le=4, description="Their loyalty level (1: < 90 days ... 4: ≥ 1 year)."
    )
    joining: bool = Field(
        default=False, description="True: they join this month and pay the full fee."
    )


class CalculatorIn(BaseModel):
    """Monthly inputs. Only the fields of the chosen strategy are used (plus `tips`,
    `splits`/`song_id` and `fee_bps`); the others are ignored."""

    model_config = ConfigDict(extra="forbid")

    splits: Annotated[list[CalcSplit], AfterValidator(_check_calc_splits)] | None = Field(
        default=None, description="Default: 100 % to the artist."
    )
    song_id: SongId | None = Field(default=None, description="Use a registered song's splits.")
    fee_bps: int | None = Field(
        default=None, ge=0, le=500, description="Default: the router's current protocol fee."
    )
    tips: TipsIn | None = None
    # pay-per-stream
    monthly_plays: int = Field(default=0, ge=0, le=10**12, description="pay-per-stream")
    price: Wei | None = Field(default=None, description="pay-per-stream; default 0.01 FLOW.")
    # gift economy
    monthly_listeners: int = Field(default=0, ge=0, le=10**9, description="gift-economy")
    listens_per_listener: int = Field(default=1, ge=0, le=10**6, description="gift-economy")
    cgc_per_listen: Wei | None = Field(default=None, description="gift-economy; default 1 CGC")
    early_bonus: Wei | None = Field(default=None, description="gift-economy; default 10 CGC")
    early_threshold: int | None = Field(default=None, ge=0, le=2**32 - 1)
    repeat_multiplier_bps: int | None = Field(default=None, ge=BPS, le=100_000)
    # patronage
    tiers: list[PatronTierIn] = Field(default_factory=list, max_length=8)
    discounts_bps: list[int] | None = Field(default=None, min_length=4, max_length=4)
    # dutch auction
    slots: int = Field(default=0, ge=0, le=2**24 - 1, description="dutch-auction: slots sold")
    clearing_price: Wei | None = Field(default=None, description="dutch-auction: each slot")
    auctions_per_month: int = Field(default=1, ge=0, le=1_000)
    # strategies added through the seam read their own inputs (see each strategy's docs)
    params: dict[str, Any] | None = Field(
        default=None, description="Inputs of strategies that define their own (e.g. freemium)."
    )

    @model_validator(mode="after")
    def _sources(self) -> CalculatorIn:
        if self.splits is not None and self.song_id is not None:
            raise ValueError("give `splits` or `song_id`, not both")
        d = self.discounts_bps
        if d is not None and (
            any(not 0 <= x <= 5_000 for x in d) or any(b < a for a, b in pairwise(d))
        ):
            raise ValueError("discounts_bps: 4 non-decreasing values within 0..5000")
        return self


class CalcLine(BaseModel):
    source: str
    payments: int = Field(description="Payments per month.")
    charge_each: Amount
    gross: Amount
    fee: Amount
    net: Amount


class CalculatorOut(BaseModel):
    strategy: str
    fee_bps: int
    lines: list[CalcLine]
    gross: Amount = Field(description="What listeners pay per month.")
    fee: Amount = Field(description="Protocol fee, rounded down per payment as on chain.")
    net: Amount = Field(description="gross - fee: what the splits share.")
    shares: list[ShareOut] = Field(description="Per recipient, by the router's rule per payment.")
    cgc_to_listeners: Amount | None = Field(
        default=None, description="CGC minted to listeners per month, where a strategy mints it."
    )
    assumptions: list[str]


# -------------------------------------------------------------------- economy


class EconomyOut(BaseModel):
    song_id: str
    artist: str
    strategy: str | None
    fee_bps: int
    splits: list[SplitOut]
    viewer: str | None = Field(description="The signed-in address the figures are for.")
    authorized: bool = Field(description="Whether the viewer may stream now without paying.")
    stream_quote: Amount | None = Field(
        description="What one play costs the viewer now; null where the strategy refuses it."
    )
    stream_refusal: str | None = Field(default=None, description="Why, when refused.")
    terms: dict[str, Any] | None = Field(
        default=None,
        description="The song's terms under its strategy, and the viewer's standing: each "
        "strategy's own view (see `GET /api/strategies` for what each strategy configures).",
    )
    # The same view under the field name clients of the first four strategies read.
    pay_per_stream: dict[str, Any] | None = None
    gift: dict[str, Any] | None = None
    patronage: dict[str, Any] | None = None
    auction: dict[str, Any] | None = None

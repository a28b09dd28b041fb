"""Request bodies of `POST /api/tx/{action}`; the value types they share with every money
endpoint (amounts as wei strings, addresses, song ids) live in `mycelix.schemas`."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from mycelix.chain.units import BPS, ONE
from mycelix.schemas import (
    WEI_DOC,
    NonZeroAddress,
    PaymentKind,
    PositiveWei,
    Role,
    Salt,
    SongId,
    StrategyName,
    Wei,
)
from mycelix.transactions.prepare import PreparedTx

MAX_SPLITS = 64
MAX_BATCH = 128
MAX_TIERS = 8


# ------------------------------------------------------------------ responses


class InheritedSplit(BaseModel):
    recipient: str
    bps: int
    role: str
    role_code: int


class WalletTx(PreparedTx):
    """A transaction for `eth_sendTransaction`: pass `to`, `data`, `value` and `from` as they
    are. `amount` is what the router may pull from the sender's FLOW (approve the router for
    at least this much first, see `GET /api/tx/approval`)."""

    amount: str | None = Field(default=None, description=WEI_DOC)

    @classmethod
    def of(cls, tx: PreparedTx, *, amount: int | None = None) -> WalletTx:
        data = tx.model_dump()
        data["amount"] = None if amount is None else str(amount)
        return cls.model_validate(data)


class AcceptSongTx(WalletTx):
    """`accept_song` prepared with the digest of exactly the splits listed here: the song's
    configured splits now (empty: none configured, so its income follows the artist of
    record). If they change before the transaction is mined, it reverts."""

    previous_artist: str
    splits: list[InheritedSplit]
    splits_digest: str


class ApprovalOut(BaseModel):
    owner: str
    spender: str = Field(description="The router, which pulls payments.")
    amount: str = Field(description=WEI_DOC)
    allowance: str = Field(description=WEI_DOC)
    balance: str = Field(description="The owner's FLOW balance, wei.")
    needs_approval: bool = Field(description="True when the allowance is below `amount`.")
    sufficient_balance: bool
    approve_tx: WalletTx | None = Field(
        default=None, description="The approve transaction to send first, when one is needed."
    )


# --------------------------------------------------------------------- bodies


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SongBody(Body):
    song_id: SongId


class RegisterSongIn(Body):
    song_id: SongId | None = Field(
        default=None,
        description="A song the signed-in artist described with `POST /api/songs`: its salt is "
        "the content hash of its audio.",
    )
    salt: Salt | None = Field(
        default=None,
        description="Or any non-zero 32 bytes: the song's id is then keccak256(artist ‖ salt).",
    )
    strategy: StrategyName = Field(description="The strategy registry name.")

    @model_validator(mode="after")
    def _one_of(self) -> RegisterSongIn:
        if (self.song_id is None) == (self.salt is None):
            raise ValueError("give either song_id (a described song) or salt, not both")
        return self


class ChangeStrategyIn(SongBody):
    strategy: StrategyName


class OfferSongIn(SongBody):
    new_artist: NonZeroAddress = Field(
        description="The proposed artist of record; nothing changes until they accept."
    )


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: NonZeroAddress
    bps: int = Field(ge=1, le=BPS, description="Share in basis points (10000 = 100 %).")
    role: Role = Role.ARTIST


def check_splits(splits: list[SplitIn]) -> list[SplitIn]:
    if not 1 <= len(splits) <= MAX_SPLITS:
        raise ValueError(f"a song has 1 to {MAX_SPLITS} split recipients, got {len(splits)}")
    total = sum(s.bps for s in splits)
    if total != BPS:
        raise ValueError(f"split shares must sum to {BPS} basis points, got {total}")
    return splits


Splits = Annotated[
    list[SplitIn],
    AfterValidator(check_splits),
    Field(
        description="1 to 64 recipients, each share > 0 bps, summing to 10000. The first "
        "recipient also receives the rounding dust of every payment."
    ),
]


class ConfigureSplitsIn(SongBody):
    splits: Splits


class SetPriceIn(SongBody):
    price: PositiveWei = Field(description="Price of one stream. " + WEI_DOC)


class ConfigureGiftIn(SongBody):
    cgc_per_listen: Wei = Field(description="CGC units per rewarded listen (≤ 100 CGC).")
    early_bonus: Wei = Field(
        default=0,
        description="Extra CGC on the first listen of each early listener (≤ 1,000 CGC).",
    )
    early_threshold: int = Field(
        default=0, ge=0, le=2**32 - 1, description="How many first listeners get the bonus."
    )
    repeat_multiplier_bps: int = Field(
        default=BPS, ge=BPS, le=100_000, description="Applied from a listener's 6th listen."
    )

    @model_validator(mode="after")
    def _bounds(self) -> ConfigureGiftIn:
        # The contract's protocol maximums (GiftEconomy MAX_CGC_PER_LISTEN, MAX_EARLY_BONUS).
        for name, most in (("cgc_per_listen", 100), ("early_bonus", 1_000)):
            if getattr(self, name) > most * ONE:
                raise ValueError(f"{name} is above the maximum of {most:,} CGC ({most} * 10**18)")
        return self


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=32, description="1 to 32 bytes of UTF-8.")
    fee: PositiveWei = Field(description="Monthly fee. " + WEI_DOC)
    exclusive: bool = Field(default=False, description="Opens patron-only songs.")

    @model_validator(mode="after")
    def _bounds(self) -> TierIn:
        if len(self.name.encode()) > 32:
            raise ValueError(f"tier name {self.name!r} is longer than 32 bytes")
        if self.fee >= 2**128:
            raise ValueError("tier fee must be below 2**128")
        return self


class ConfigurePatronageIn(Body):
    tiers: list[TierIn] = Field(min_length=1, max_length=MAX_TIERS)
    discounts_bps: list[int] | None = Field(
        default=None,
        description="Renewal discounts for loyalty levels 1-4: four non-decreasing values, "
        "each ≤ 5000; omit for 0/500/1000/2000.",
    )
    min_commitment: int = Field(
        default=0, ge=0, le=365 * 86_400, description="Seconds before a patron may cancel."
    )

    @model_validator(mode="after")
    def _discounts(self) -> ConfigurePatronageIn:
        d = self.discounts_bps
        if d is not None:
            if len(d) != 4:
                raise ValueError("discounts_bps needs exactly 4 values (levels 1-4)")
            if any(not 0 <= x <= 5_000 for x in d):
                raise ValueError("each discount must be within 0..5000 bps")
            if any(b < a for a, b in pairwise(d)):
                raise ValueError("discounts must not decrease with the loyalty level")
        return self


class SetPatronOnlyIn(SongBody):
    patron_only: bool = True


class CreateAuctionIn(SongBody):
    start_price: PositiveWei
    floor_price: Wei
    duration: int = Field(ge=1, le=2**64 - 1, description="Seconds from start to end.")
    slots: int = Field(ge=1, le=2**24 - 1)
    start_time: int = Field(default=0, ge=0, le=2**64 - 1, description="Unix seconds; 0 = now.")

    @model_validator(mode="after")
    def _prices(self) -> CreateAuctionIn:
        if self.start_price <= self.floor_price:
            raise ValueError("start_price must be above floor_price")
        if self.start_price >= 2**96:
            raise ValueError("start_price must be below 2**96")
        return self


class ApproveIn(Body):
    amount: Wei = Field(description="Allowance to grant the router. " + WEI_DOC)


class PayIn(SongBody):
    amount: Wei = Field(description="The most the sender offers. " + WEI_DOC)
    payment_type: PaymentKind
    option: int = Field(default=0, ge=0, le=2**256 - 1, description="Patronage tier index.")


class StreamIn(SongBody):
    max_price: Wei | None = Field(
        default=None,
        description="The price the listener was shown: the offer, so the play can never cost "
        "more. Default: the price quoted now, shown in the answer's `amount`.",
    )


class TipIn(SongBody):
    amount: PositiveWei


class BatchIn(Body):
    song_ids: list[SongId] = Field(min_length=1, max_length=MAX_BATCH)


class BecomePatronIn(SongBody):
    tier: int = Field(ge=0, lt=MAX_TIERS, description="Tier index of the song's artist.")
    max_amount: Wei | None = Field(
        default=None,
        description="The fee the patron was shown: the offer, so the payment can never cost "
        "more. Default: the fee quoted now, shown in the answer's `amount`.",
    )


class CancelPatronageIn(Body):
    artist: NonZeroAddress


class BuySlotIn(SongBody):
    max_price: PositiveWei = Field(description="The most you accept to pay. " + WEI_DOC)
    auction_number: int | None = Field(
        default=None,
        ge=1,
        le=2**256 - 1,
        description="The auction the buyer was shown (`number` in GET /api/songs/{id}/auction); "
        "the purchase reverts if that auction ended or was replaced. Default: the latest.",
    )


class WithdrawIn(Body):
    pass


class FaucetIn(Body):
    amount: PositiveWei

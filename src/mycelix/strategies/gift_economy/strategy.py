"""Gift economy off chain: its catalogue entry, CGC calculator, economy view and events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from web3 import Web3

from mycelix.chain.errors import DeploymentError
from mycelix.chain.units import BPS, HOUR, ONE, PaymentType
from mycelix.schemas import Amount
from mycelix.strategies.base import BaseStrategy, chain_time, payment_type, sid, view, wei_field
from mycelix.strategies.protocol import Catalogue, Deployer, Projection
from mycelix.strategies.schemas import ConfigField

if TYPE_CHECKING:
    from mycelix.platform import Platform
    from mycelix.strategies.schemas import CalculatorIn

# The contract's constants (a test compares them with the deployed contract).
DEFAULTS = {
    "cgc_per_listen": ONE,
    "early_bonus": 10 * ONE,
    "early_threshold": 100,
    "repeat_multiplier_bps": 15_000,
}
MAX_CGC_PER_LISTEN = 100 * ONE
MAX_EARLY_BONUS = 1_000 * ONE
DAILY_CGC_CAP = 10_000 * ONE
REWARD_INTERVAL = HOUR
REPEAT_AFTER = 5


class GiftConfigOut(BaseModel):
    cgc_per_listen: Amount
    early_bonus: Amount
    early_threshold: int
    repeat_multiplier_bps: int
    configured: bool = Field(description="False: the contract's defaults apply.")


class GiftListenerOut(BaseModel):
    listens: int
    last_reward_at: datetime | None
    total_earned: Amount = Field(description="CGC earned from this song.")
    early: bool
    cgc_balance: Amount
    next_reward: Amount = Field(description="CGC the next listen would earn now.")


class GiftOut(BaseModel):
    config: GiftConfigOut
    listener_count: int
    listener: GiftListenerOut | None = None


class GiftEconomy(BaseStrategy):
    name = "gift-economy-v1"
    contract = "GiftEconomy"
    label = "gift economy"
    short = "gift"
    order = 20
    free_plays = True
    economy_field = "gift"

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(
            title="Gift economy",
            description="Listening is free and earns the listener CGC gift credits; early and "
            "loyal listeners earn more. Listeners may tip; tips are split among collaborators "
            "and also earn CGC. Listening more than once per hour earns nothing; the song's "
            "artist and split recipients earn no CGC from it; a song mints at most 10,000 CGC "
            "a day.",
            payment_types=[
                payment_type(PaymentType.STREAM, "0 (free); earns CGC"),
                payment_type(PaymentType.TIP, "the whole amount offered (> 0); earns CGC"),
            ],
            config=[
                wei_field(
                    "cgc_per_listen",
                    "CGC per rewarded listen.",
                    minimum=0,
                    maximum=MAX_CGC_PER_LISTEN,
                    default=ONE,
                    action="configure_gift",
                    unit="CGC wei",
                ),
                wei_field(
                    "early_bonus",
                    "Extra CGC on the first listen of each early listener.",
                    minimum=0,
                    maximum=MAX_EARLY_BONUS,
                    default=10 * ONE,
                    action="configure_gift",
                    unit="CGC wei",
                ),
                ConfigField(
                    name="early_threshold",
                    type="integer",
                    unit="listeners",
                    scope="song",
                    action="configure_gift",
                    minimum=0,
                    maximum=2**32 - 1,
                    default=100,
                    description="How many first unique listeners get the bonus (0: none).",
                ),
                ConfigField(
                    name="repeat_multiplier_bps",
                    type="bps",
                    unit="bps",
                    scope="song",
                    action="configure_gift",
                    minimum=BPS,
                    maximum=100_000,
                    default=15_000,
                    description="Multiplies the reward from a listener's 6th listen on "
                    "(10000 = x1).",
                ),
            ],
            rules={
                "reward_interval_seconds": REWARD_INTERVAL,
                "repeat_after_listens": REPEAT_AFTER,
                "daily_cgc_cap": str(DAILY_CGC_CAP),
            },
        )

    def deploy(self, d: Deployer) -> str:
        # CGC's only minter is immutable, so CGC is deployed naming the gift strategy's address
        # before it exists: the CREATE address of the deployer's next transaction but one. The
        # strategy's constructor refuses a CGC that names another minter, so a wrong prediction
        # (another transaction from this key in between) fails here, before anything is
        # registered.
        gift = d.next_address(1)
        cgc = d.deploy("GiftCredits", gift)
        if (address := d.deploy(self.contract, d.router, cgc)) != gift:
            raise DeploymentError(f"GiftEconomy: deployed elsewhere than CGC's minter {gift}")
        return address

    def project(self, body: CalculatorIn) -> Projection:
        listens = body.monthly_listeners * body.listens_per_listener
        return Projection(
            lines=[("streams", listens, 0)],
            assumptions=[
                "Streams are free; only tips bring money.",
                "CGC: every listen is at least an hour after the listener's previous one (so "
                "all are rewarded), and the song is new, so its first listeners this month are "
                "its first ever (the early bonus goes to the first `early_threshold` of them).",
            ],
            cgc=cgc_minted(body),
        )

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> GiftOut:
        sdk = p.sdk
        c = sdk.gift_config(song_id)
        gift = self.contract_of(p)
        out = GiftOut(
            config=GiftConfigOut(
                cgc_per_listen=Amount.of(c.cgc_per_listen),
                early_bonus=Amount.of(c.early_bonus),
                early_threshold=c.early_threshold,
                repeat_multiplier_bps=c.repeat_multiplier_bps,
                configured=c.configured,
            ),
            listener_count=int(view(gift.functions.listener_count(sid(song_id)))),
        )
        if viewer is not None:
            prof = sdk.gift_profile(song_id, viewer)
            who = Web3.to_checksum_address(viewer)
            nxt = int(view(gift.functions.preview_reward(sid(song_id), who)))
            out.listener = GiftListenerOut(
                listens=prof.listens,
                last_reward_at=chain_time(prof.last_reward_at),
                total_earned=Amount.of(prof.total_earned),
                early=prof.early,
                cgc_balance=Amount.of(sdk.cgc_balance(viewer)),
                next_reward=Amount.of(nxt),
            )
        return out

    def indexer_handlers(self) -> Mapping[str, Any]:
        from .indexer import on_listen_rewarded

        return {"ListenRewarded": on_listen_rewarded, "GiftConfigured": None}


def cgc_minted(body: CalculatorIn) -> int:
    """CGC minted in a month by the GiftEconomy contract's reward rule."""
    cgc = DEFAULTS["cgc_per_listen"] if body.cgc_per_listen is None else body.cgc_per_listen
    bonus = DEFAULTS["early_bonus"] if body.early_bonus is None else body.early_bonus
    threshold = (
        DEFAULTS["early_threshold"] if body.early_threshold is None else body.early_threshold
    )
    mult = (
        DEFAULTS["repeat_multiplier_bps"]
        if body.repeat_multiplier_bps is None
        else body.repeat_multiplier_bps
    )
    listens = body.listens_per_listener
    if listens == 0 or body.monthly_listeners == 0:
        return 0
    plain = min(listens, REPEAT_AFTER) * cgc
    repeated = max(listens - REPEAT_AFTER, 0) * (cgc * mult // BPS)
    early = min(body.monthly_listeners, threshold) * bonus
    return body.monthly_listeners * (plain + repeated) + early


STRATEGY = GiftEconomy()

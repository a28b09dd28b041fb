"""Pay what you want off chain: its catalogue entry, calculator and economy view."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mycelix.chain.units import PaymentType
from mycelix.errors import InvalidRequest
from mycelix.schemas import Amount, Wei
from mycelix.strategies.base import TIP, BaseStrategy, payment_type, sid, view, wei_field
from mycelix.strategies.protocol import Catalogue, DemoSong, Projection

if TYPE_CHECKING:
    from mycelix.platform import Platform
    from mycelix.strategies.schemas import CalculatorIn

# The contract's constants (tests compare them with the deployed contract).
DEFAULT_MINIMUM = 0
DEFAULT_SUGGESTED = 10**16
MAX_AMOUNT = 2**128 - 1


class PlaysAt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0, le=10**12, description="Plays paid this amount per month.")
    amount: Wei = Field(le=MAX_AMOUNT, description="What each of them pays (0: free).")


class PwywCalcIn(BaseModel):
    """Calculator inputs (`params`): how many plays pay how much."""

    model_config = ConfigDict(extra="forbid")

    minimum: Wei = Field(default=DEFAULT_MINIMUM, le=MAX_AMOUNT)
    plays: list[PlaysAt] = Field(default_factory=list, max_length=100)


class PwywOut(BaseModel):
    minimum: Amount = Field(description="The least a play may pay (0: plays may be free).")
    suggested: Amount = Field(description="What clients suggest.")


class PayWhatYouWant(BaseStrategy):
    name = "pay-what-you-want-v1"
    contract = "PayWhatYouWant"
    label = "pay what you want"
    short = "pwyw"
    order = 60

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(
            title="Pay what you want",
            description="The listener chooses what each play is worth, at or above the "
            "artist's minimum (which may be zero: a free play is recorded as a payment of 0); "
            "clients show the artist's suggested amount. Every payment is split among the "
            "song's collaborators.",
            payment_types=[
                payment_type(
                    PaymentType.STREAM,
                    "the whole amount offered, which must be at least the minimum",
                ),
                TIP,
            ],
            config=[
                wei_field(
                    "minimum",
                    "The least a play may pay; 0 lets listeners play for free.",
                    minimum=0,
                    maximum=MAX_AMOUNT,
                    default=DEFAULT_MINIMUM,
                    action="configure_pay_what_you_want",
                ),
                wei_field(
                    "suggested",
                    "The amount clients suggest; at least the minimum.",
                    minimum=1,
                    maximum=MAX_AMOUNT,
                    default=DEFAULT_SUGGESTED,
                    action="configure_pay_what_you_want",
                ),
            ],
            rules={"charge": "the offer, if at least the minimum"},
        )

    def project(self, body: CalculatorIn) -> Projection:
        inp = self.params(PwywCalcIn, body)
        for group in inp.plays:
            if group.amount < inp.minimum:
                raise InvalidRequest(
                    f"params.plays: {group.amount} wei is below the minimum {inp.minimum}; "
                    "the chain refuses such a play"
                )
        return Projection(
            lines=[(f"plays at {g.amount} wei", g.count, g.amount) for g in inp.plays],
            assumptions=[
                "Each play is charged exactly what the listener chose, split like any payment.",
            ],
        )

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> PwywOut:
        fns = self.contract_of(p).functions
        return PwywOut(
            minimum=Amount.of(int(view(fns.minimum(sid(song_id))))),
            suggested=Amount.of(int(view(fns.suggested(sid(song_id))))),
        )

    def shown_price(self, p: Platform, song_id: str, indexed_price: int | None) -> int | None:
        # Without a chosen amount, a play offers the suggested one.
        return int(view(self.contract_of(p).functions.suggested(sid(song_id))))

    def indexer_handlers(self) -> Mapping[str, Any]:
        return {"PayWhatYouWantConfigured": None}  # terms are read live

    def api_router(self) -> Any:
        from .endpoints import router

        return router

    def demo_songs(self) -> list[DemoSong]:
        return [
            DemoSong(
                "Name Your Price",
                "choir",
                splits=(("choir", 7_000, "artist"), ("mara", 3_000, "featured")),
                terms={"minimum": 0, "suggested": 10**16},
            )
        ]

    def demo_configure(self, client: Any, song: bytes, terms: dict[str, Any]) -> None:
        from .sdk import configure

        configure(client, song, terms["minimum"], terms["suggested"])

    def demo_play(
        self, client: Any, song: bytes, rng: random.Random
    ) -> tuple[Callable[..., object], tuple[Any, ...]]:
        from .sdk import pay

        # Some pay nothing, most about the suggestion, a few far more.
        amount = rng.choice([0, 5 * 10**15, 10**16, 10**16, 2 * 10**16, 10**17])
        return pay, (client, song, amount)

    def demo_terms(self, client: Any, song: bytes) -> str:
        fns = client.contract(self.contract).functions
        low, suggested = fns.minimum(song).call(), fns.suggested(song).call()
        return f"from {low / 10**18:g} FLOW,\n{suggested / 10**18:g} suggested"


STRATEGY = PayWhatYouWant()

"""Pay per stream off chain: its catalogue entry, calculator, economy view and events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mycelix.chain.units import PaymentType
from mycelix.schemas import Amount
from mycelix.strategies.base import TIP, BaseStrategy, payment_type, sid, view, wei_field
from mycelix.strategies.protocol import Catalogue, Projection

if TYPE_CHECKING:
    from mycelix.platform import Platform
    from mycelix.strategies.schemas import CalculatorIn

# The contract's DEFAULT_PRICE (a test compares it with the deployed contract).
DEFAULT_PRICE = 10**16
MAX_UINT256 = 2**256 - 1


class PpsOut(BaseModel):
    price: Amount


class PayPerStream(BaseStrategy):
    name = "pay-per-stream-v1"
    contract = "PayPerStream"
    label = "pay-per-stream"
    short = "stream"
    order = 10
    economy_field = "pay_per_stream"

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(
            title="Pay per stream",
            description="Every play is paid at a price the artist sets per song (0.01 FLOW "
            "until they do). The payment is split instantly among the song's collaborators.",
            payment_types=[
                payment_type(
                    PaymentType.STREAM, "the song's price; the offer must be at least the price"
                ),
                TIP,
            ],
            config=[
                wei_field(
                    "price",
                    "Price of one stream.",
                    minimum=1,
                    maximum=MAX_UINT256,
                    default=DEFAULT_PRICE,
                    action="set_price",
                ),
            ],
            rules={"default_price": str(DEFAULT_PRICE)},
        )

    def project(self, body: CalculatorIn) -> Projection:
        price = DEFAULT_PRICE if body.price is None else body.price
        return Projection(
            lines=[("streams", body.monthly_plays, price)],
            assumptions=["Every play is paid at the song's price."],
        )

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> PpsOut:
        price = int(view(self.contract_of(p).functions.price(sid(song_id))))
        return PpsOut(price=Amount.of(price))

    def listed_price(self, indexed_price: int | None) -> int | None:
        # The catalogue keeps None for the default price (see `indexed_price`).
        return DEFAULT_PRICE if indexed_price is None else indexed_price

    def indexer_handlers(self) -> Mapping[str, Any]:
        from .indexer import on_price_set

        return {"PriceSet": on_price_set}


def indexed_price(price: int) -> int | None:
    """A price as the catalogue keeps it: None for the default, so a song's row is the same
    whether it was indexed from events or re-read after a reorg."""
    return None if price == DEFAULT_PRICE else price


STRATEGY = PayPerStream()

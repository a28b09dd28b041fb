"""Freemium off chain: its catalogue entry, calculator, economy view and demo behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3

from mycelix.chain.units import PaymentType
from mycelix.schemas import Amount, Wei
from mycelix.strategies.base import TIP, BaseStrategy, payment_type, sid, view, wei_field
from mycelix.strategies.protocol import Catalogue, DemoSong, Projection
from mycelix.strategies.schemas import ConfigField

if TYPE_CHECKING:
    from mycelix.platform import Platform
    from mycelix.strategies.schemas import CalculatorIn

# The contract's constants (tests compare them with the deployed contract).
DEFAULT_FREE_PLAYS = 3
MAX_FREE_PLAYS = 1_000
DEFAULT_PRICE = 10**16
MAX_PRICE = 2**128 - 1


class FreemiumCalcIn(BaseModel):
    """Calculator inputs (`params`): a month of listeners new to the song."""

    model_config = ConfigDict(extra="forbid")

    listeners: int = Field(default=0, ge=0, le=10**9, description="Listeners this month.")
    plays_per_listener: int = Field(default=1, ge=0, le=10**6)
    free_plays: int = Field(default=DEFAULT_FREE_PLAYS, ge=0, le=MAX_FREE_PLAYS)
    price: Wei = Field(default=DEFAULT_PRICE, ge=1, le=MAX_PRICE)


class FreemiumListenerOut(BaseModel):
    free_plays_taken: int
    free_plays_left: int
    next_play: Amount = Field(description="What the viewer's next play costs.")


class FreemiumOut(BaseModel):
    free_plays: int = Field(description="Free plays per listener.")
    price: Amount = Field(description="Price of every play after the free ones.")
    listener: FreemiumListenerOut | None = None


class Freemium(BaseStrategy):
    name = "freemium-v1"
    contract = "Freemium"
    label = "freemium"
    short = "freemium"
    order = 50

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(
            title="Freemium",
            description="Each listener's first plays of a song are free (3 until the artist "
            "sets a number, counted on chain per listener); every later play is paid at the "
            "song's price (0.01 FLOW until the artist sets one) and split among collaborators.",
            payment_types=[
                payment_type(
                    PaymentType.STREAM,
                    "0 while the listener has free plays left, then the song's price; the "
                    "offer must be at least what the play costs",
                ),
                TIP,
            ],
            config=[
                ConfigField(
                    name="free_plays",
                    type="integer",
                    unit="plays",
                    scope="song",
                    action="configure_freemium",
                    minimum=0,
                    maximum=MAX_FREE_PLAYS,
                    default=DEFAULT_FREE_PLAYS,
                    description="Free plays per listener.",
                ),
                wei_field(
                    "price",
                    "Price of every play after the free ones.",
                    minimum=1,
                    maximum=MAX_PRICE,
                    default=DEFAULT_PRICE,
                    action="configure_freemium",
                ),
            ],
            rules={
                "default_free_plays": DEFAULT_FREE_PLAYS,
                "default_price": str(DEFAULT_PRICE),
                "counted": "per song and listener, on chain; lowering the number ends free "
                "plays sooner, raising it gives listeners the difference",
            },
        )

    def project(self, body: CalculatorIn) -> Projection:
        inp = self.params(FreemiumCalcIn, body)
        free_each = min(inp.plays_per_listener, inp.free_plays)
        paid_each = inp.plays_per_listener - free_each
        return Projection(
            lines=[
                ("free plays", inp.listeners * free_each, 0),
                ("paid plays", inp.listeners * paid_each, inp.price),
            ],
            assumptions=[
                f"Each listener's first {inp.free_plays} plays are free, every later one is "
                "paid at the price.",
                "Every listener is new to the song this month (none has used free plays).",
            ],
        )

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> FreemiumOut:
        fns = self.contract_of(p).functions
        out = FreemiumOut(
            free_plays=int(view(fns.free_plays(sid(song_id)))),
            price=Amount.of(int(view(fns.price(sid(song_id))))),
        )
        if viewer is not None:
            who = Web3.to_checksum_address(viewer)
            left = int(view(fns.free_plays_left(sid(song_id), who)))
            out.listener = FreemiumListenerOut(
                free_plays_taken=int(view(fns.free_plays_taken(sid(song_id), who))),
                free_plays_left=left,
                next_play=Amount.of(0) if left else out.price,
            )
        return out

    def shown_price(self, p: Platform, song_id: str, indexed_price: int | None) -> int | None:
        # The offer is the paid price: a free play charges 0 of it.
        return int(view(self.contract_of(p).functions.price(sid(song_id))))

    def indexer_handlers(self) -> Mapping[str, Any]:
        return {"FreemiumConfigured": None}  # terms are read live

    def api_router(self) -> Any:
        from .endpoints import router

        return router

    def demo_songs(self) -> list[DemoSong]:
        return [
            DemoSong(
                "Two Free Listens",
                "hyphae",
                splits=(("hyphae", 6_000, "artist"), ("oona", 4_000, "producer")),
                terms={"free_plays": 2, "price": 2 * 10**16},
            )
        ]

    def demo_configure(self, client: Any, song: bytes, terms: dict[str, Any]) -> None:
        from .sdk import configure

        configure(client, song, terms["free_plays"], terms["price"])

    def demo_terms(self, client: Any, song: bytes) -> str:
        fns = client.contract(self.contract).functions
        free, price = fns.free_plays(song).call(), fns.price(song).call()
        return f"{free} free plays each,\nthen {price / 10**18:g} FLOW a play"


STRATEGY = Freemium()

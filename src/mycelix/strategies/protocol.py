"""What a strategy folder provides, and what the rest of the platform may ask of it.

A strategy is one folder, `mycelix/strategies/<snake_name>/`, holding its Vyper contract and a
module object `STRATEGY` that satisfies `Strategy` below. The registry (`registry.py`) finds the
folders; the API, indexer, SDK, deployment, demo and web app iterate the registry and never name a
strategy. Everything a strategy knows (its catalogue entry and bounds, its calculator maths, its
economy view, why it refuses a play, its events, its demo songs) is asked through this protocol.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pydantic import BaseModel

    from mycelix.platform import Platform
    from mycelix.strategies.schemas import CalculatorIn, ConfigField, PaymentTypeInfo


@dataclass(frozen=True)
class Catalogue:
    """A strategy's entry in `GET /api/strategies`: what it charges and how it is configured.
    Bounds and defaults are the contract's; each folder's tests compare them with it."""

    title: str
    description: str
    payment_types: list[PaymentTypeInfo]
    config: list[ConfigField]
    rules: dict[str, Any]


@dataclass(frozen=True)
class Projection:
    """A calculator's month: `lines` of (source, payments, charge each), before the fee and the
    splits (applied by the caller with the router's own rounding), and the assumptions."""

    lines: list[tuple[str, int, int]]
    assumptions: list[str]
    cgc: int | None = None  # CGC minted to listeners, for a strategy that rewards in CGC


@dataclass(frozen=True)
class Deployer:
    """What a strategy's `deploy` may use: deploy a contract of the system by name (returns its
    address), the router's address, and the CREATE address of the deployer's n-th next
    transaction (0: the next one), for contracts that must name each other at construction."""

    deploy: Callable[..., str]
    router: str
    next_address: Callable[[int], str]


@dataclass(frozen=True)
class DemoSong:
    """A song the demo releases under a strategy (the demo's cast keys name the people)."""

    title: str
    act: str
    splits: tuple[tuple[str, int, str], ...] = ()  # (person key, bps, role name); () = artist
    terms: dict[str, Any] = field(default_factory=dict)  # strategy-specific configuration


@runtime_checkable
class Strategy(Protocol):
    """The contract between a strategy folder and the platform."""

    name: str  # registry name, e.g. "my-strategy-v1"; the router's id is keccak256 of it
    contract: str  # the folder's Vyper contract, e.g. "MyStrategy"
    label: str  # short human name for tables and menus, e.g. "my strategy"
    short: str  # a column heading in the demo's tables, e.g. "tips" (empty: the label)
    order: int  # position in listings (lower first); new strategies take 100+
    free_plays: bool  # plays are free to whoever the chain lets play (the API shows price 0)
    denial_reason: str  # the streaming API's code when the chain refuses a free play
    economy_field: str | None  # the legacy `EconomyOut` field its view fills, if any

    @property
    def catalogue(self) -> Catalogue: ...

    def deploy(self, d: Deployer) -> str:
        """Deploy the strategy's contract (and anything only it needs); return its address."""
        ...

    def project(self, body: CalculatorIn) -> Projection:
        """The calculator's month under this strategy (raise `InvalidRequest` on bad params)."""
        ...

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> BaseModel:
        """The song's live terms under this strategy, and the viewer's standing if signed in."""
        ...

    def shown_price(self, p: Platform, song_id: str, indexed_price: int | None) -> int | None:
        """The price of one play the API shows (and offers) for a song; None: none shown."""
        ...

    def indexer_handlers(self) -> Mapping[str, Any]:
        """Event name -> ``handler(ctx, event)`` for the catalogue; events it ignores map to
        None."""
        ...

    def api_router(self) -> Any:
        """A FastAPI router with the strategy's own reads (mounted by the strategies API),
        or None."""
        ...

    def listed_price(self, indexed_price: int | None) -> int | None:
        """The price of one play the song listings show, from the catalogue alone (the
        indexed price, where the strategy's events keep one); None: none shown."""
        ...

    def demo_songs(self) -> list[DemoSong]:
        """The songs the demo releases under this strategy (beyond its scripted story)."""
        ...

    def demo_configure(self, client: Any, song: bytes, terms: dict[str, Any]) -> None:
        """Set a demo song's `terms` as its artist (`client`: the artist's SDK client)."""
        ...

    def demo_play(
        self, client: Any, song: bytes, rng: random.Random
    ) -> tuple[Callable[..., object], tuple[Any, ...]]:
        """One play of a demo song by a listener: the SDK action and its arguments."""
        ...

    def demo_terms(self, client: Any, song: bytes) -> str:
        """The song's terms in a few words, for the demo's catalogue table."""
        ...

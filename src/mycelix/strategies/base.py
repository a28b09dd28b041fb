"""Defaults a strategy folder may inherit, and helpers to describe its configuration.

`BaseStrategy` answers the `protocol.Strategy` questions the way most strategies would (a
contract deployed with the router's address, plays paid unless the chain authorises them, no
events kept), so a folder writes only what is its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from mycelix.chain.tx import call_errors
from mycelix.chain.units import PaymentType
from mycelix.errors import InvalidRequest
from mycelix.strategies.protocol import Catalogue, DemoSong, Deployer, Projection
from mycelix.strategies.schemas import ConfigField, PaymentTypeInfo

if TYPE_CHECKING:
    from mycelix.platform import Platform
    from mycelix.strategies.schemas import CalculatorIn

M = TypeVar("M", bound=BaseModel)


class BaseStrategy:
    name: str
    contract: str
    label: str
    order: int = 100
    free_plays: bool = False
    denial_reason: str = "unpaid"
    economy_field: str | None = None
    short: str = ""  # empty: the label

    @property
    def catalogue(self) -> Catalogue:
        raise NotImplementedError

    def deploy(self, d: Deployer) -> str:
        return d.deploy(self.contract, d.router)

    def project(self, body: CalculatorIn) -> Projection:
        raise NotImplementedError

    def economy(self, p: Platform, song_id: str, artist: str, viewer: str | None) -> BaseModel:
        raise NotImplementedError

    def listed_price(self, indexed_price: int | None) -> int | None:
        """The price of one play the song listings show, from the catalogue alone."""
        return 0 if self.free_plays else None

    def shown_price(self, p: Platform, song_id: str, indexed_price: int | None) -> int | None:
        return self.listed_price(indexed_price)

    def indexer_handlers(self) -> Mapping[str, Any]:
        return {}

    def api_router(self) -> Any:
        return None

    def demo_songs(self) -> list[DemoSong]:
        return []

    def demo_configure(self, client: Any, song: bytes, terms: dict[str, Any]) -> None:
        return None

    def demo_play(
        self, client: Any, song: bytes, rng: random.Random
    ) -> tuple[Callable[..., object], tuple[Any, ...]]:
        return client.stream, (song,)

    def demo_terms(self, client: Any, song: bytes) -> str:
        return self.catalogue.title

    # helpers for subclasses

    def contract_of(self, p: Platform) -> Any:
        return p.sdk.contract(self.contract)

    @staticmethod
    def params(model: type[M], body: CalculatorIn) -> M:
        """The strategy's own calculator inputs (`params` of the request), validated."""
        try:
            return model.model_validate(body.params or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "params"
            raise InvalidRequest(f"params.{where}: {first['msg']}") from exc


def view(fn: Any) -> Any:
    """Call a contract view, its revert turned into the platform's error."""
    with call_errors(getattr(fn, "fn_name", None)):
        return fn.call()


def sid(song_id: str) -> bytes:
    return bytes.fromhex(song_id[2:])


def chain_time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def payment_type(kind: PaymentType, charge: str, option: str | None = None) -> PaymentTypeInfo:
    return PaymentTypeInfo(type=kind.name.lower(), code=int(kind), charge=charge, option=option)


TIP = payment_type(PaymentType.TIP, "the whole amount offered (> 0), split like any payment")


def wei_field(
    name: str,
    description: str,
    *,
    minimum: int,
    maximum: int,
    default: int | None,
    action: str,
    scope: str = "song",
    unit: str = "wei",
) -> ConfigField:
    return ConfigField(
        name=name,
        type="wei",
        unit=unit,
        scope=scope,
        action=action,
        description=description,
        minimum=str(minimum),
        maximum=str(maximum),
        default=None if default is None else str(default),
    )

"""The strategies, discovered from their folders: every subpackage of `mycelix.strategies` that
exports `STRATEGY` (see `protocol.Strategy`). Adding a strategy is adding a folder; nothing here
or anywhere else lists them.

Discovery is lazy (on first use), so modules the strategy folders import may import this one.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from eth_utils import keccak

from mycelix.errors import InvalidRequest
from mycelix.strategies.protocol import Strategy

_ROOT = Path(__file__).resolve().parent


@cache
def _discover() -> tuple[Strategy, ...]:
    found: list[Strategy] = []
    for module in pkgutil.iter_modules([str(_ROOT)]):
        if not module.ispkg:
            continue
        package = importlib.import_module(f"mycelix.strategies.{module.name}")
        strategy = getattr(package, "STRATEGY", None)
        if strategy is None:
            continue
        if not isinstance(strategy, Strategy):
            raise TypeError(f"mycelix.strategies.{module.name}.STRATEGY is not a Strategy")
        found.append(strategy)
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two strategy folders share a registry name: {sorted(names)}")
    return tuple(sorted(found, key=lambda s: (s.order, s.name)))


def all_strategies() -> tuple[Strategy, ...]:
    """Every strategy, in listing order."""
    return _discover()


def names() -> list[str]:
    """Every registry name, in listing order."""
    return [s.name for s in _discover()]


def find(name: str) -> Strategy | None:
    return next((s for s in _discover() if s.name == name), None)


def get(name: str) -> Strategy:
    """The strategy of registry name `name`; `InvalidRequest` naming the known ones if none."""
    strategy = find(name)
    if strategy is None:
        raise InvalidRequest(f"unknown strategy {name!r}; known: {', '.join(names())}")
    return strategy


def by_contract(contract: str) -> Strategy | None:
    return next((s for s in _discover() if s.contract == contract), None)


def strategy_id(name: str) -> bytes:
    """The router's 32-byte id of a strategy name: keccak256 of its ASCII bytes."""
    return keccak(text=name)


@cache
def _by_id() -> dict[bytes, Strategy]:
    return {strategy_id(s.name): s for s in _discover()}


def by_id(sid: bytes) -> Strategy | None:
    """The strategy of a router id, None for an id this version does not know."""
    return _by_id().get(bytes(sid))


def taking(kind: int) -> list[str]:
    """The strategies that accept payments of router payment type `kind` (per their
    catalogue), e.g. the ones an artist's patrons pay through."""
    return [s.name for s in _discover() if any(pt.code == kind for pt in s.catalogue.payment_types)]


def contracts() -> dict[str, str]:
    """Contract name -> registry name, for every strategy."""
    return {s.contract: s.name for s in _discover()}

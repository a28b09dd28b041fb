"""What every repository shares: errors, pages, the chain reference of an event.

Repositories take a `Session`, run SQL, and at most ``flush()``: the request or task that
owns the session decides when to commit (`Catalog.write()` does it on success), so one
unit of work can span several repositories and still commit — or roll back — as one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from ..types import normalize_bytes32, utc

T = TypeVar("T")


class CatalogError(Exception):
    """Base of the errors repositories raise on purpose (the API maps them to 4xx)."""


class NotFound(CatalogError):
    """A row the operation needs does not exist."""


class AlreadyExists(CatalogError):
    """A row with the same identity exists already."""


class InvalidCursor(CatalogError, ValueError):
    """A pagination cursor that this query did not produce (→ 400, never a 500)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated listing; `next_cursor` is None on the last page."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class ChainRef:
    """Where an event came from. (tx_hash, log_index) identifies it — replaying a block
    inserts nothing twice — and block_number is what a reorg deletes above."""

    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    block_time: datetime

    def __post_init__(self) -> None:
        if self.block_number < 0 or self.log_index < 0:
            raise ValueError("block number and log index are non-negative")
        object.__setattr__(self, "block_hash", normalize_bytes32(self.block_hash))
        object.__setattr__(self, "tx_hash", normalize_bytes32(self.tx_hash))
        object.__setattr__(self, "block_time", utc(self.block_time))


@dataclass(frozen=True)
class DayCount:
    """A per-day figure (UTC days): a count of plays/events or a sum of token units."""

    day: date
    value: int


def escape_like(term: str) -> str:
    """`term` with LIKE wildcards escaped (escape character ``\\``), so a user typing
    ``%`` or ``_`` searches for that character instead of scanning for anything."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def day_counts(rows: Iterable[Any]) -> list[DayCount]:
    """Rows of (``YYYY-MM-DD``, value) from `utc_day` groupings, as sorted DayCounts."""
    result = [DayCount(date.fromisoformat(str(day)), int(value or 0)) for day, value in rows]
    return sorted(result, key=lambda d: d.day)

"""Column types that make the catalogue behave the same on SQLite and PostgreSQL.

Every value that has more than one spelling is normalised *by its column type*, on the way
in, so no caller can store (or query with) a second spelling and split an aggregate (the
earlier attempt's artist stats broke on checksum-vs-lowercase addresses):

- `Address`: 20-byte EVM addresses, stored as 42-character lower-case hex. Lower case
  rather than EIP-55 checksums because equality and indexes then need no keccak and no
  case folding; mixed-case input must carry a valid checksum (a typo is an error, not a
  new address). Present addresses to users with `to_checksum()`.
- `Bytes32`: song ids, strategy ids, tx and block hashes: ``0x`` + 64 lower-case hex; the
  column accepts 32 raw bytes too.
- `TokenAmount`: unsigned integer token units (18 decimals, up to 2**256-1), read back as
  `int`. PostgreSQL: ``NUMERIC(78,0)``. SQLite has no exact type that wide (its NUMERIC
  affinity turns anything beyond 2**63 into a lossy REAL), so it stores a 78-digit
  zero-padded decimal string: text comparison then equals numeric comparison, and
  `amount_sum` (repositories/_sql.py) adds values with Python ints in a registered
  aggregate. Plain ``SUM()`` on that column is wrong on SQLite — always use `amount_sum`.
- `UTCDateTime`: aware datetimes in UTC. PostgreSQL ``timestamptz``; SQLite stores naive
  UTC text with microseconds (fixed width, so text order is time order). Naive input is
  rejected: a naive datetime is a bug waiting for a server in another time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from eth_utils import is_checksum_address, to_checksum_address
from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MAX_UINT256 = 2**256 - 1
AMOUNT_DIGITS = 78  # len(str(2**256 - 1))

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def normalize_address(value: str) -> str:
    """The one canonical spelling of an address: ``0x`` + 40 lower-case hex digits.

    Raises ValueError for anything that is not an address, and for mixed-case input whose
    EIP-55 checksum is wrong.
    """
    if not isinstance(value, str):
        raise ValueError(f"not an address: {value!r}")
    return _normalize_address(str(value))


# Cached: the indexer normalises the same few payers, artists and strategies (a keccak each,
# for checksummed input) tens of thousands of times in a catch-up. Errors are not cached.
@lru_cache(maxsize=16_384)
def _normalize_address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"not an address: {value!r}")
    body = value[2:]
    lower = body.lower()
    if body != lower and body != body.upper() and not is_checksum_address(value):
        raise ValueError(f"bad EIP-55 checksum: {value!r}")
    return "0x" + lower


@lru_cache(maxsize=65_536)
def to_checksum(value: str) -> str:
    """EIP-55 spelling of a stored address, for display (remembered: a keccak per call, and
    a page of 20 songs spells its artists 20 times)."""
    return str(to_checksum_address(normalize_address(value)))


def normalize_bytes32(value: str | bytes) -> str:
    """``0x`` + 64 lower-case hex digits from 32 raw bytes or a hex string."""
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise ValueError(f"expected 32 bytes, got {len(value)}")
        return "0x" + bytes(value).hex()
    if not isinstance(value, str):
        raise ValueError(f"not a 0x-prefixed 32-byte hex string: {value!r}")
    return _normalize_bytes32(str(value))


# Cached like addresses: a batch's rows repeat the same song, strategy, block and tx hashes.
@lru_cache(maxsize=16_384)
def _normalize_bytes32(value: str) -> str:
    if not _BYTES32.match(value):
        raise ValueError(f"not a 0x-prefixed 32-byte hex string: {value!r}")
    return value.lower()


def check_amount(value: int) -> int:
    """An amount as a uint256: an `int` (not bool, not float) in [0, 2**256-1]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"token amounts are ints, got {type(value).__name__}")
    if not 0 <= value <= MAX_UINT256:
        raise ValueError(f"token amount out of uint256 range: {value}")
    return value


def utc(value: datetime) -> datetime:
    """`value` converted to UTC; naive datetimes are rejected."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
    return value.astimezone(UTC)


class Address(TypeDecorator[str]):
    """An EVM address column (see module docstring)."""

    impl = String(42)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else normalize_address(value)


class Bytes32(TypeDecorator[str]):
    """A bytes32 column as lower-case hex text (see module docstring)."""

    impl = String(66)
    cache_ok = True

    def process_bind_param(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else normalize_bytes32(value)


class TokenAmount(TypeDecorator[int]):
    """An exact uint256 token amount (see module docstring for the SQLite encoding)."""

    impl = Numeric(AMOUNT_DIGITS, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(AMOUNT_DIGITS))
        return dialect.type_descriptor(Numeric(AMOUNT_DIGITS, 0, asdecimal=True))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        check_amount(value)
        if dialect.name == "sqlite":
            return str(value).zfill(AMOUNT_DIGITS)
        return Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        # Sums may exceed 2**256-1 (and 78 digits); they are still exact ints.
        if value is None:
            return None
        if isinstance(value, Decimal):
            return int(value)
        return int(value)

    @property
    def python_type(self) -> type[int]:
        return int


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp (see module docstring)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # from raw SQL on SQLite
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC (the default of every timestamp column)."""
    return datetime.now(UTC)


def fold(text: str) -> str:
    """Case-insensitive key of a text: Unicode case folding (so 'ß' matches 'SS').

    Stored next to titles and names and applied to search terms, so matching and sorting
    do not depend on either database's collation or on its LOWER() of non-ASCII text.
    """
    return text.casefold()


def normalize_genre(genre: str) -> str:
    """Genres are a vocabulary: folded, trimmed, inner whitespace collapsed."""
    return " ".join(fold(genre).split())

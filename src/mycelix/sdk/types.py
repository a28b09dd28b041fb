"""Value types of the SDK: ids, amounts, splits and views returned to callers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3 import Web3

from mycelix.chain.errors import InvalidInput
from mycelix.chain.units import PaymentType, to_wei

__all__ = [
    "Amount",
    "AuctionState",
    "ChainEvent",
    "GiftConfig",
    "GiftProfile",
    "PatronState",
    "PaymentType",
    "Role",
    "Share",
    "Split",
    "Tier",
    "address",
    "amount_wei",
    "song_id",
]

Amount = int | Decimal
"""An amount: `int` is token units (wei), `Decimal` is FLOW. Floats are refused."""

_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


class Role(IntEnum):
    """Role codes stored with each split recipient."""

    ARTIST = 0
    FEATURED = 1
    PRODUCER = 2
    SONGWRITER = 3
    ENGINEER = 4
    LABEL = 5
    MANAGER = 6
    COLLECTIVE = 7
    OTHER = 9


def amount_wei(value: Amount, *, what: str = "amount") -> int:
    """Token units from an int (wei) or a Decimal (FLOW); rejects floats, negatives and dust
    below one wei."""
    if isinstance(value, bool | float):
        raise InvalidInput(f"{what} must be int wei or Decimal FLOW, not {type(value).__name__}")
    if isinstance(value, Decimal):
        try:
            value = to_wei(value)
        except ValueError as exc:
            raise InvalidInput(f"{what} {exc}") from exc
    if not isinstance(value, int):
        raise InvalidInput(f"{what} must be int wei or Decimal FLOW, not {type(value).__name__}")
    if value < 0:
        raise InvalidInput(f"{what} must not be negative")
    if value >= 2**256:
        raise InvalidInput(f"{what} does not fit in 256 bits")
    return value


def song_id(value: str | bytes) -> bytes:
    """A bytes32 song id from 32 bytes or a 0x-prefixed 64-hex-digit string."""
    if isinstance(value, bytes):
        if len(value) != 32:
            raise InvalidInput(f"Invalid song ID format: {len(value)} bytes, expected 32")
        return value
    if isinstance(value, str) and _HEX32.match(value):
        return bytes.fromhex(value[2:])
    raise InvalidInput(f"Invalid song ID format: {value!r} (expected 0x + 64 hex digits)")


def song_id_for(title: str, artist: str) -> bytes:
    """A song id derived from its artist and title (keccak256), unique per artist."""
    return keccak(Web3.to_bytes(hexstr=address(artist)) + title.encode())


def address(value: str) -> ChecksumAddress:
    """A checksummed address; clear error for anything else."""
    if not isinstance(value, str) or not Web3.is_address(value):
        raise InvalidInput(f"not an Ethereum address: {value!r}")
    return Web3.to_checksum_address(value)


@dataclass(frozen=True)
class Split:
    recipient: str
    bps: int
    role: Role | int = Role.ARTIST


@dataclass(frozen=True)
class Share:
    recipient: ChecksumAddress
    amount: int


@dataclass(frozen=True)
class Tier:
    name: str
    fee: int
    exclusive: bool = False


@dataclass(frozen=True)
class GiftConfig:
    cgc_per_listen: int
    early_bonus: int
    early_threshold: int
    repeat_multiplier_bps: int
    configured: bool


@dataclass(frozen=True)
class GiftProfile:
    listens: int
    last_reward_at: int
    total_earned: int
    early: bool


@dataclass(frozen=True)
class PatronState:
    tier: int
    exclusive: bool
    start: int
    paid_until: int
    commitment_end: int
    cancelled: bool
    active: bool
    level: int


@dataclass(frozen=True)
class AuctionState:
    number: int
    start_price: int
    floor_price: int
    start_time: int
    end_time: int
    duration: int
    slots: int
    sold: int
    revenue: int
    clearing_price: int
    average_price: int
    live: bool


@dataclass(frozen=True)
class ChainEvent:
    """One decoded contract event with its position on chain."""

    name: str
    contract: str
    args: dict[str, object]
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int

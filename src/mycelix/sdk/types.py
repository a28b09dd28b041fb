"""Value types of the SDK: ids, amounts, splits and views returned to callers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from eth_abi import encode as abi_encode
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
    "content_salt",
    "salt",
    "salt_for",
    "song_id",
    "song_id_for",
    "splits_digest",
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
        if not value.is_finite():  # Infinity, -Infinity, NaN, sNaN: no amount of wei
            raise InvalidInput(f"{what} must be a finite number, not {value}")
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


def salt(value: str | bytes) -> bytes:
    """A registration salt: 32 non-zero bytes, or 0x + 64 hex digits of them."""
    try:
        raw = song_id(value)
    except InvalidInput:
        raise InvalidInput(
            f"Invalid salt: {value!r} (expected 32 bytes or 0x + 64 hex digits; "
            "salt_for(text) makes one from any text)"
        ) from None
    if not any(raw):
        raise InvalidInput("the salt must not be zero (the router refuses an empty salt)")
    return raw


def salt_for(text: str) -> bytes:
    """A salt from any text (keccak256 of its UTF-8): one artist's title, catalogue number…"""
    if not isinstance(text, str):
        raise InvalidInput(f"salt_for takes text, not {type(text).__name__}")
    return keccak(text.encode())


def content_salt(cid: str) -> bytes:
    """The salt the platform registers an uploaded song under: the sha2-256 digest its audio
    CID carries (the content hash), so one recording gives one id per artist."""
    from mycelix.storage.cid import digest_of  # the SDK needs the content store only here
    from mycelix.storage.errors import InvalidCid

    try:
        return digest_of(cid)
    except InvalidCid as exc:
        raise InvalidInput(f"not an audio CID of this platform: {exc}") from exc


def song_id_for(artist: str, salt_value: str | bytes) -> bytes:
    """The id the router gives the song `artist` registers with `salt_value`:
    keccak256(artist's 20 address bytes ‖ 32 salt bytes). Only that artist can register it."""
    return keccak(Web3.to_bytes(hexstr=address(artist)) + salt(salt_value))


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


def splits_digest(splits: Sequence[Split]) -> bytes:
    """The router's `splits_digest` of configured splits: keccak256 of the ABI encoding of
    (recipients, bps, roles); an empty list is a song without configured splits. A new artist
    accepting a song passes it, so they inherit exactly the splits they were shown."""
    encoded = abi_encode(
        ["address[]", "uint16[]", "uint8[]"],
        [
            [address(s.recipient) for s in splits],
            [s.bps for s in splits],
            [int(s.role) for s in splits],
        ],
    )
    return keccak(encoded)


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

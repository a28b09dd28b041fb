"""Strict parsing of JSON-RPC parameter values, as geth reads them.

Every parser takes the raw JSON value and returns what eth-tester wants, or raises
:class:`InvalidParams` with a message naming the argument. Quantities are ``0x``-prefixed hex
without leading zeros and at most 256 bits, data is even-length hex, addresses are 20 bytes,
hashes 32 bytes: anything else (a huge number, ``0x0g``, a 19-byte address) is refused before
it reaches the chain.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "BLOCK_TAGS",
    "InvalidParams",
    "address",
    "block_id",
    "boolean",
    "data",
    "hash32",
    "quantity",
    "transaction",
]

BLOCK_TAGS = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
MAX_QUANTITY = 2**256 - 1
_HEX = re.compile(r"0x[0-9a-fA-F]*")


class InvalidParams(ValueError):
    """A parameter does not parse (JSON-RPC -32602)."""


def quantity(value: Any, name: str, *, bits: int = 256) -> int:
    """``0x``-hex quantity (``0x0``, ``0x1a``; no leading zeros) of at most ``bits`` bits."""
    if not isinstance(value, str):
        raise InvalidParams(f"{name}: expected a hex quantity string, got {_kind(value)}")
    if len(value) > 2 + bits // 4 or not _HEX.fullmatch(value) or value == "0x":
        raise InvalidParams(f"{name}: invalid hex quantity {_clip(value)}")
    if len(value) > 3 and value[2] == "0":
        raise InvalidParams(f"{name}: hex quantity with leading zero digits {_clip(value)}")
    number = int(value, 16)
    if number >= 2**bits:
        raise InvalidParams(f"{name}: quantity exceeds {bits} bits")
    return number


def data(value: Any, name: str, *, size: int | None = None) -> str:
    """``0x``-hex bytes of even length (exactly ``size`` bytes if given); lower-cased."""
    if not isinstance(value, str):
        raise InvalidParams(f"{name}: expected a hex string, got {_kind(value)}")
    if not _HEX.fullmatch(value) or len(value) % 2:
        raise InvalidParams(f"{name}: invalid hex data {_clip(value)}")
    if size is not None and len(value) != 2 + 2 * size:
        raise InvalidParams(f"{name}: expected {size} bytes, got {(len(value) - 2) // 2}")
    return value.lower()


def address(value: Any, name: str) -> str:
    return data(value, name, size=20)


def hash32(value: Any, name: str) -> str:
    return data(value, name, size=32)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParams(f"{name}: expected true or false, got {_kind(value)}")
    return value


def block_id(value: Any, name: str = "block") -> int | str | dict[str, Any]:
    """A block tag, a block number, or an EIP-1898 object (``{"blockHash": ...}`` or
    ``{"blockNumber": ...}``); a tag comes back as the tag, a hash as ``{"hash": ...}``."""
    if isinstance(value, str) and value in BLOCK_TAGS:
        # Blocks are final as soon as mined on the embedded chain.
        return "latest" if value in ("safe", "finalized") else value
    if isinstance(value, dict):
        if set(value) - {"blockHash", "blockNumber", "requireCanonical"} or len(value) == 0:
            raise InvalidParams(f"{name}: expected blockHash or blockNumber")
        if "blockHash" in value:
            if "blockNumber" in value:
                raise InvalidParams(f"{name}: give blockHash or blockNumber, not both")
            return {"hash": hash32(value["blockHash"], f"{name}.blockHash")}
        return block_id(value.get("blockNumber"), f"{name}.blockNumber")
    if isinstance(value, str) and value.startswith("0x"):
        return quantity(value, name, bits=64)
    tags = ", ".join(sorted(BLOCK_TAGS))
    raise InvalidParams(f"{name}: expected a block number or one of {tags}")


_TX_QUANTITIES = {
    "gas": "gas",
    "gasPrice": "gas_price",
    "maxFeePerGas": "max_fee_per_gas",
    "maxPriorityFeePerGas": "max_priority_fee_per_gas",
    "value": "value",
    "nonce": "nonce",
}
_TX_IGNORED = frozenset({"chainId", "type", "accessList", "blobVersionedHashes"})


def transaction(value: Any, name: str = "transaction") -> dict[str, Any]:
    """A call object (``eth_call``/``eth_estimateGas``) in eth-tester's field names."""
    if not isinstance(value, dict):
        raise InvalidParams(f"{name}: expected an object, got {_kind(value)}")
    unknown = set(value) - set(_TX_QUANTITIES) - _TX_IGNORED - {"from", "to", "data", "input"}
    if unknown:
        raise InvalidParams(f"{name}: unknown field {sorted(unknown)[0]!r}")
    tx: dict[str, Any] = {}
    for key, field in _TX_QUANTITIES.items():
        if value.get(key) is not None:
            tx[field] = quantity(value[key], f"{name}.{key}", bits=64 if key != "value" else 256)
    for key in ("from", "to"):
        if value.get(key) is not None:
            tx[key] = address(value[key], f"{name}.{key}")
    payload = [value[k] for k in ("input", "data") if value.get(k) is not None]
    if payload:
        tx["data"] = data(payload[0], f"{name}.input")
        if len(payload) == 2 and data(payload[1], f"{name}.data") != tx["data"]:
            raise InvalidParams(f"{name}: both input and data given, and they differ")
    return tx


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )


def _clip(value: str) -> str:
    return repr(value if len(value) <= 24 else value[:20] + "…")

"""On-chain strategy ids: keccak256 of a versioned ASCII name, as registered with the router."""

from __future__ import annotations

from eth_utils import keccak

# contract name -> registry name
STRATEGY_CONTRACTS: dict[str, str] = {
    "PayPerStream": "pay-per-stream-v1",
    "GiftEconomy": "gift-economy-v1",
    "Patronage": "patronage-v1",
    "DutchAuction": "dutch-auction-v1",
}


def strategy_id(name: str) -> bytes:
    """The 32-byte id of a strategy name, e.g. ``strategy_id("pay-per-stream-v1")``."""
    return keccak(text=name)


def song_id(text: str) -> bytes:
    """A 32-byte song id derived from free text (keccak256 of its UTF-8 bytes)."""
    return keccak(text=text)

"""On-chain ids: a strategy's is keccak256 of its versioned ASCII registry name, as registered
with the router (`registry.strategy_id`); a song's derived from free text here."""

from __future__ import annotations

from eth_utils import keccak

from mycelix.strategies.registry import strategy_id

__all__ = ["song_id", "strategy_id"]


def song_id(text: str) -> bytes:
    """A 32-byte song id derived from free text (keccak256 of its UTF-8 bytes)."""
    return keccak(text=text)

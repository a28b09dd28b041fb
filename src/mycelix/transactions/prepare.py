"""Encoding on-chain actions as `{to, data, value, chain_id}` for an EIP-1193 wallet
(`eth_sendTransaction`). Nothing is signed or sent here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3

from mycelix.chain import artifacts
from mycelix.platform import Platform
from mycelix.strategies.ids import strategy_id


class PreparedTx(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    action: str
    to: str
    data: str
    value: str = "0x0"
    chain_id: int
    from_: str | None = Field(
        default=None, alias="from", description="The address that must send it."
    )
    description: str


def encode(
    p: Platform,
    contract: str,
    fn: str,
    args: list[Any],
    *,
    action: str,
    description: str,
    sender: str | None = None,
) -> PreparedTx:
    """Encode one call of a deployed contract."""
    address = p.manifest.addresses[contract]
    # Building a web3 contract object parses its ABI (~40 ms for the router): once per process.
    instances: dict[str, Any] = p.extras.setdefault("prepared_contracts", {})
    instance = instances.get(contract)
    if instance is None:
        instance = p.chain.w3.eth.contract(address=address, abi=artifacts.load(contract).abi)
        instances[contract] = instance
    data = instance.encode_abi(fn, args=args)
    p.metrics.prepared.labels(action).inc()
    return PreparedTx.model_validate(
        {
            "action": action,
            "to": address,
            "data": data if isinstance(data, str) else Web3.to_hex(data),
            "chain_id": p.manifest.chain_id,
            "from": sender,
            "description": description,
        }
    )


def prepare_register(p: Platform, salt: bytes, strategy: str, artist: str) -> PreparedTx:
    """`register_song(salt, strategy)` from `artist`: the router makes the sender the artist
    of the id keccak256(artist ‖ salt)."""
    return encode(
        p,
        "EconomicStrategyRouter",
        "register_song",
        [salt, strategy_id(strategy)],
        action="register_song",
        description=f"register the song under {strategy}",
        sender=artist,
    )

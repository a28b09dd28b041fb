"""Decoding every event of the deployed contracts from raw logs, in chain order.

Logs are fetched with a raw ``eth_getLogs`` (the provider's JSON, not web3's per-field
formatting into AttributeDicts and HexBytes, which cost more than the request itself) and
decoded by a layout precomputed per event: events whose inputs are all single 32-byte words
(uints, bools, addresses, bytes32 — the router's payments among them) are sliced word by
word; the others (arrays) go through web3's `get_event_data`. Both give the same
`ChainEvent` web3 would: checksummed addresses, bytes32 as bytes, ints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3
from web3._utils.events import get_event_data
from web3.exceptions import Web3RPCError
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint

from mycelix.chain import artifacts
from mycelix.chain.manifest import Manifest
from mycelix.sdk.types import ChainEvent

PAGE_BLOCKS = 2_000

Word = Callable[[bytes], Any]


@lru_cache(maxsize=4096)
def _checksum(body: bytes) -> str:
    # Payers, artists and strategies repeat across events: one keccak per address, not per log.
    return str(to_checksum_address(body))


def _word_decoder(abi_type: str) -> Word | None:
    """How to read a value of `abi_type` from its 32-byte word; None if it is not one word."""
    if abi_type == "address":
        return lambda w: _checksum(w[12:])
    if abi_type == "bytes32":
        return bytes
    if abi_type == "bool":
        return lambda w: w[31] == 1
    if abi_type.startswith("uint") and abi_type[4:].isdigit():
        return lambda w: int.from_bytes(w, "big")
    if abi_type.startswith("int") and abi_type[3:].isdigit():
        return lambda w: int.from_bytes(w, "big", signed=True)
    return None


@dataclass(frozen=True)
class _Layout:
    """One event of one contract, with how to decode it."""

    contract: str
    abi: dict[str, Any]
    # Set when every input is one word: (name, decoder) of the indexed inputs (topics 1..n)
    # and of the data words, in order.
    topics: tuple[tuple[str, Word], ...] | None
    words: tuple[tuple[str, Word], ...] | None

    @classmethod
    def of(cls, contract: str, abi: dict[str, Any]) -> _Layout:
        topics: list[tuple[str, Word]] = []
        words: list[tuple[str, Word]] = []
        for item in abi["inputs"]:
            word = _word_decoder(item["type"])
            if word is None:
                return cls(contract, abi, None, None)
            (topics if item["indexed"] else words).append((item["name"], word))
        return cls(contract, abi, tuple(topics), tuple(words))


def _bytes(value: Any) -> bytes:
    """A raw JSON-RPC hex string (or bytes from an in-process provider) as bytes."""
    if isinstance(value, str):
        return _from_hex(value)
    return bytes(value)


@lru_cache(maxsize=16_384)
def _from_hex(value: str) -> bytes:
    # Topics and data repeat across a catch-up's logs (event ids, songs, payers, the same
    # price and fee): most conversions are found here.
    return bytes.fromhex(value[2:] if value.startswith(("0x", "0X")) else value)


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hash(value: Any) -> str:
    return value.lower() if isinstance(value, str) else "0x" + bytes(value).hex()


class EventDecoder:
    """Maps (contract address, topic0) to the event ABI that decodes it."""

    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self.w3 = w3
        self._by_key: dict[tuple[str, bytes], _Layout] = {}
        for name, address in manifest.addresses.items():
            if name == "FlowToken" and manifest.external_token:
                continue
            for item in artifacts.load(name).abi:
                if item.get("type") == "event":
                    topic = event_abi_to_log_topic(item)  # type: ignore[arg-type]
                    self._by_key[(address.lower(), topic)] = _Layout.of(name, item)
        self.addresses = [
            a
            for n, a in manifest.addresses.items()
            if not (n == "FlowToken" and manifest.external_token)
        ]

    def decode(self, log: Any) -> ChainEvent | None:
        """The event of a log, raw (JSON-RPC hex strings) or as web3 formats it; None for a
        log of an unknown contract or event."""
        topics = log["topics"]
        if not topics:
            return None
        found = self._by_key.get((str(log["address"]).lower(), _bytes(topics[0])))
        if found is None:
            return None
        args: dict[str, object]
        if found.topics is None or found.words is None:
            # Only the args are kept: the position fields are read below, in either shape.
            entry = {
                "topics": [_bytes(t) for t in topics],
                "data": _bytes(log["data"]),
                **dict.fromkeys(("logIndex", "transactionIndex", "blockNumber"), 0),
                **dict.fromkeys(("transactionHash", "blockHash", "address"), None),
            }
            args = dict(get_event_data(self.w3.codec, found.abi, entry)["args"])
        else:
            data = _bytes(log["data"])
            if len(topics) != len(found.topics) + 1 or len(data) < 32 * len(found.words):
                raise ValueError(f"log does not match the {found.abi['name']} event's layout")
            args = {
                name: word(_bytes(topic))
                for (name, word), topic in zip(found.topics, topics[1:], strict=True)
            }
            for i, (name, word) in enumerate(found.words):
                args[name] = word(data[32 * i : 32 * i + 32])
        return ChainEvent(
            name=found.abi["name"],
            contract=found.contract,
            args=args,
            block_number=_int(log["blockNumber"]),
            block_hash=_hash(log["blockHash"]),
            tx_hash=_hash(log["transactionHash"]),
            log_index=_int(log["logIndex"]),
        )

    def logs(self, from_block: int, to_block: int) -> list[Any]:
        """The logs of the deployment's contracts in [from_block, to_block]: raw from a
        JSON-RPC node, as web3 formats them from an in-process chain (whose provider takes
        web3's parameters, not JSON-RPC's)."""
        if not isinstance(self.w3.provider, JSONBaseProvider):
            return list(
                self.w3.eth.get_logs(
                    {"fromBlock": from_block, "toBlock": to_block, "address": self.addresses}
                )
            )
        params = {"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": self.addresses}
        response = self.w3.provider.make_request(RPCEndpoint("eth_getLogs"), [params])
        if "error" in response or "result" not in response:
            raise Web3RPCError(f"eth_getLogs {from_block}..{to_block}: {response.get('error')}")
        return list(response["result"])

    def iterate(
        self, from_block: int, to_block: int, page: int = PAGE_BLOCKS
    ) -> Iterator[ChainEvent]:
        """Every known event in [from_block, to_block], in chain order, fetched in pages."""
        start = from_block
        while start <= to_block:
            end = min(start + page - 1, to_block)
            events = [e for e in map(self.decode, self.logs(start, end)) if e is not None]
            events.sort(key=lambda e: (e.block_number, e.log_index))
            yield from events
            start = end + 1

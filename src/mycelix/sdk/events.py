"""Decoding every event of the deployed contracts from raw logs, in chain order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eth_utils import event_abi_to_log_topic
from web3 import Web3
from web3._utils.events import get_event_data

from mycelix.chain import artifacts
from mycelix.chain.manifest import Manifest
from mycelix.sdk.types import ChainEvent

PAGE_BLOCKS = 2_000


class EventDecoder:
    """Maps (contract address, topic0) to the event ABI that decodes it."""

    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self.w3 = w3
        self._by_key: dict[tuple[str, bytes], tuple[str, dict[str, Any]]] = {}
        for name, address in manifest.addresses.items():
            if name == "FlowToken" and manifest.external_token:
                continue
            for item in artifacts.load(name).abi:
                if item.get("type") == "event":
                    topic = event_abi_to_log_topic(item)  # type: ignore[arg-type]
                    self._by_key[(address.lower(), topic)] = (name, item)
        self.addresses = [
            a
            for n, a in manifest.addresses.items()
            if not (n == "FlowToken" and manifest.external_token)
        ]

    def decode(self, log: Any) -> ChainEvent | None:
        topics = log["topics"]
        if not topics:
            return None
        found = self._by_key.get((log["address"].lower(), bytes(topics[0])))
        if found is None:
            return None
        contract, abi = found
        data = get_event_data(self.w3.codec, abi, log)
        return ChainEvent(
            name=data["event"],
            contract=contract,
            args=dict(data["args"]),
            block_number=log["blockNumber"],
            block_hash="0x" + bytes(log["blockHash"]).hex(),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            log_index=log["logIndex"],
        )

    def iterate(
        self, from_block: int, to_block: int, page: int = PAGE_BLOCKS
    ) -> Iterator[ChainEvent]:
        """Every known event in [from_block, to_block], in chain order, fetched in pages."""
        start = from_block
        while start <= to_block:
            end = min(start + page - 1, to_block)
            logs = self.w3.eth.get_logs(
                {"fromBlock": start, "toBlock": end, "address": self.addresses}
            )
            for log in sorted(logs, key=lambda entry: (entry["blockNumber"], entry["logIndex"])):
                event = self.decode(log)
                if event is not None:
                    yield event
            start = end + 1

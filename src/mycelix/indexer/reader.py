"""What the indexer reads from the chain besides events: block headers, and contract state
at a given block (to re-read in-place fields after a reorg, or to learn a strategy's id).

Every read names its block, so the answer cannot drift while the indexer works on a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BlockNotFound, Web3RPCError
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint

from mycelix.catalog.types import normalize_address, normalize_bytes32
from mycelix.chain import artifacts
from mycelix.chain.manifest import Manifest
from mycelix.strategies import registry

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_HASH = "0x" + "00" * 32
# PayPerStream's price of a song whose artist never set one (the contract's DEFAULT_PRICE).
DEFAULT_STREAM_PRICE = 10**16
# Block headers asked for in one JSON-RPC batch.
HEADER_BATCH = 100


def hex32(value: Any) -> str:
    """A hash from web3 (HexBytes, bytes or hex text) as ``0x`` + 64 lower-case hex."""
    if isinstance(value, bytes | bytearray):
        return normalize_bytes32(bytes(value))
    return normalize_bytes32(str(value))


def set_price(price: int) -> int | None:
    """A pay-per-stream price as the catalogue keeps it: None for the default price, so a
    song's row is the same whether it was indexed from events or re-read after a reorg."""
    return None if price == DEFAULT_STREAM_PRICE else price


def strategy_name(strategy_id_hex: str) -> str | None:
    """The registry name of a strategy id, None for an id this version does not know."""
    found = registry.by_id(bytes.fromhex(normalize_bytes32(strategy_id_hex)[2:]))
    return None if found is None else found.name


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


@dataclass(frozen=True)
class SongFields:
    """The router's (and Patronage's) in-place fields of a song at one block."""

    artist: str | None  # None: not registered at that block
    strategy_id: str | None
    patron_only: bool
    stream_price: int | None = None  # PayPerStream's price; None for the default


@dataclass(frozen=True)
class RouterSettings:
    treasury: str
    fee_bps: int


class ChainReader:
    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self.w3 = w3
        self.manifest = manifest
        self._contracts: dict[str, Contract] = {}
        # Strategy contract -> id. Ids are never remapped (router), so a cached or current
        # answer is right for every block.
        self._strategy_ids: dict[str, str] = {}

    def contract(self, name: str) -> Contract:
        if name not in self._contracts:
            self._contracts[name] = self.w3.eth.contract(
                address=self.manifest.addresses[name], abi=artifacts.load(name).abi
            )
        return self._contracts[name]

    @property
    def router(self) -> Contract:
        return self.contract("EconomicStrategyRouter")

    # ---------------------------------------------------------------- blocks

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def header(self, number: int) -> Header | None:
        """The canonical block `number`, None if the chain is not that long (any more)."""
        try:
            block = self.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return Header(
            number=int(block["number"]),
            hash=hex32(block["hash"]),
            parent_hash=hex32(block["parentHash"]),
            timestamp=int(block["timestamp"]),
        )

    def headers(self, numbers: Sequence[int]) -> list[Header | None]:
        """`header` of each of `numbers`, in one JSON-RPC batch per `HEADER_BATCH` blocks
        where the provider takes batches (a catch-up reads a header per block with events:
        a round trip each cost more than applying the block's events)."""
        if not isinstance(self.w3.provider, JSONBaseProvider):  # an in-process chain
            return [self.header(n) for n in numbers]
        batch = self.w3.provider.make_batch_request
        found: list[Header | None] = []
        for at in range(0, len(numbers), HEADER_BATCH):
            chunk = numbers[at : at + HEADER_BATCH]
            responses = batch(
                [(RPCEndpoint("eth_getBlockByNumber"), [hex(n), False]) for n in chunk]
            )
            if not isinstance(responses, list) or len(responses) != len(chunk):
                raise Web3RPCError(f"eth_getBlockByNumber batch failed: {responses!r}"[:500])
            for response in responses:
                if "error" in response:
                    raise Web3RPCError(f"eth_getBlockByNumber: {response['error']}")
                block = response.get("result")
                found.append(
                    None
                    if block is None
                    else Header(
                        number=int(block["number"], 16),
                        hash=hex32(block["hash"]),
                        parent_hash=hex32(block["parentHash"]),
                        timestamp=int(block["timestamp"], 16),
                    )
                )
        return found

    def block_hash(self, number: int) -> str | None:
        header = self.header(number)
        return None if header is None else header.hash

    # ----------------------------------------------------------------- state

    def remember_strategy(self, strategy: str, strategy_id_hex: str) -> None:
        self._strategy_ids[normalize_address(strategy)] = normalize_bytes32(strategy_id_hex)

    def strategy_address(self, strategy_id_hex: str) -> str:
        """The contract registered under a strategy id (the inverse of `strategy_id`)."""
        wanted = normalize_bytes32(strategy_id_hex)
        for address, known in self._strategy_ids.items():
            if known == wanted:
                return address
        found = str(self.router.functions.strategies(bytes.fromhex(wanted[2:])).call())
        self.remember_strategy(found, wanted)
        return normalize_address(found)

    def strategy_id(self, strategy: str) -> str:
        """The id a strategy contract is registered under (from `StrategyRegistered`
        events seen, else the router's current registry)."""
        key = normalize_address(strategy)
        if key not in self._strategy_ids:
            checksum: ChecksumAddress = Web3.to_checksum_address(key)
            found = self.router.functions.strategy_id_of(checksum).call()
            self._strategy_ids[key] = hex32(found)
        return self._strategy_ids[key]

    def song_fields(self, song_id: str, block: int) -> SongFields:
        """A song's artist, strategy id, patron-only flag and pay-per-stream price as of the
        end of `block`."""
        sid = bytes.fromhex(normalize_bytes32(song_id)[2:])
        artist = normalize_address(
            self.router.functions.song_artist(sid).call(block_identifier=block)
        )
        if artist == ZERO_ADDRESS:
            return SongFields(None, None, False)
        strategy = hex32(self.router.functions.song_strategy_id(sid).call(block_identifier=block))
        patron_only = bool(
            self.contract("Patronage").functions.is_patron_only(sid).call(block_identifier=block)
        )
        price = int(self.contract("PayPerStream").functions.price(sid).call(block_identifier=block))
        return SongFields(artist, strategy, patron_only, set_price(price))

    def router_settings(self, block: int) -> RouterSettings:
        """Treasury and protocol fee as of the end of `block`."""
        router = self.router.functions
        treasury = normalize_address(router.treasury().call(block_identifier=block))
        return RouterSettings(treasury, int(router.fee_bps().call(block_identifier=block)))

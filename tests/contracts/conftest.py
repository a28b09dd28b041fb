"""One builder deploys the whole on-chain system per test module; titanoboa snapshots and
reverts around every test and every hypothesis example, so tests start from the same state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boa
import pytest
from boa.util.abi import Address
from eth_abi import encode
from eth_utils import keccak, to_bytes

from mycelix.chain.artifacts import source_path
from mycelix.chain.deploy import create_address
from mycelix.chain.units import ONE
from mycelix.strategies.ids import strategy_id

FAUCET_LIMIT = 10**9 * ONE
MAX_UINT = 2**256 - 1


def salt(name: str) -> bytes:
    """The 32-byte registration salt of a song named `name` in these tests."""
    return keccak(text=name)


def song_id_for(artist: str, name: str) -> bytes:
    """The id the router derives for `artist`'s song `name`: keccak(artist20 ‖ salt)."""
    return keccak(to_bytes(hexstr=artist) + salt(name))


def digest(recipients: list[str], bps: list[int], roles: list[int]) -> bytes:
    """`router.splits_digest` computed off chain, as a client shows it to a new artist."""
    return keccak(encode(["address[]", "uint16[]", "uint8[]"], [recipients, bps, roles]))


NO_SPLITS = digest([], [], [])


@dataclass
class System:
    owner: str
    treasury: str
    flow: Any
    cgc: Any
    router: Any
    pps: Any
    gift: Any
    patronage: Any
    auction: Any
    freemium: Any
    pwyw: Any

    def fund(self, account: str, amount: int = 1_000 * ONE) -> None:
        """Mint FLOW to `account` and approve the router for all of it."""
        with boa.env.prank(account):
            self.flow.faucet(amount)
            self.flow.approve(self.router.address, MAX_UINT)

    def register(self, name: str, strategy: str, artist: str) -> bytes:
        """Register song `name` under strategy registry name `strategy`, as `artist`."""
        with boa.env.prank(artist):
            sid = self.router.register_song(salt(name), strategy_id(strategy))
        assert sid == song_id_for(artist, name)
        return sid

    def transfer(self, song: bytes, artist: str, new_artist: str) -> None:
        """Offer `song` to `new_artist` and accept it seeing its current splits."""
        with boa.env.prank(artist):
            self.router.offer_song(song, new_artist)
        with boa.env.prank(new_artist):
            self.router.accept_song(song, self.router.splits_digest(song))


def load(name: str, *args: Any) -> Any:
    return boa.load(str(source_path(name)), *args, name=name)


def deployer_nonce(account: str) -> int:
    """The nonce of `account`'s next transaction on titanoboa's chain."""
    return int(boa.env.evm.vm.state.get_nonce(Address(account).canonical_address))


def build_system(owner: str, treasury: str) -> System:
    with boa.env.prank(owner):
        flow = load("FlowToken", FAUCET_LIMIT)
        router = load("EconomicStrategyRouter", flow.address, treasury)
        pps = load("PayPerStream", router.address)
        # As `mycelix deploy` does: CGC names the gift strategy's CREATE address as its minter.
        cgc = load("GiftCredits", create_address(owner, deployer_nonce(owner) + 1))
        gift = load("GiftEconomy", router.address, cgc.address)
        patronage = load("Patronage", router.address)
        auction = load("DutchAuction", router.address)
        freemium = load("Freemium", router.address)
        pwyw = load("PayWhatYouWant", router.address)
        router.register_strategy(strategy_id("pay-per-stream-v1"), pps.address)
        router.register_strategy(strategy_id("gift-economy-v1"), gift.address)
        router.register_strategy(strategy_id("patronage-v1"), patronage.address)
        router.register_strategy(strategy_id("dutch-auction-v1"), auction.address)
        router.register_strategy(strategy_id("freemium-v1"), freemium.address)
        router.register_strategy(strategy_id("pay-what-you-want-v1"), pwyw.address)
    return System(owner, treasury, flow, cgc, router, pps, gift, patronage, auction, freemium, pwyw)


@pytest.fixture(scope="module")
def owner() -> str:
    return boa.env.generate_address("owner")


@pytest.fixture(scope="module")
def treasury() -> str:
    return boa.env.generate_address("treasury")


@pytest.fixture(scope="module")
def system(owner: str, treasury: str) -> System:
    return build_system(owner, treasury)


@pytest.fixture(scope="module")
def artist() -> str:
    return boa.env.generate_address("artist")


@pytest.fixture(scope="module")
def producer() -> str:
    return boa.env.generate_address("producer")


@pytest.fixture(scope="module")
def engineer() -> str:
    return boa.env.generate_address("engineer")


@pytest.fixture(scope="module")
def listener() -> str:
    return boa.env.generate_address("listener")


@pytest.fixture(scope="module")
def stranger() -> str:
    return boa.env.generate_address("stranger")


@pytest.fixture(scope="module")
def listeners() -> list[str]:
    return [boa.env.generate_address(f"listener{i}") for i in range(120)]


def storage_reader(contract: Any, *path: str) -> Any:
    """Read `contract`'s public `HashMap[address, uint256]` (or `uint256`) named by `path` in its
    storage layout straight from the EVM's state, without a call.

    A view call through titanoboa costs about a millisecond; the invariant machine reads every
    account's credits and balances before and after each step, so calls were most of its time.
    Callers should compare a sample with the contract's own getter (the layout is the
    compiler's, so a moved variable fails that comparison rather than reading a wrong slot)."""
    entry = contract.compiler_data.storage_layout["storage_layout"]
    for key in path:
        entry = entry[key]
    slot, kind = entry["slot"], entry["type"]
    if kind == "uint256":
        return lambda: boa.env.get_storage(contract.address, slot)
    assert kind == "HashMap[address, uint256]", f"{'.'.join(path)} is {kind}"
    base = slot.to_bytes(32, "big")

    def read(account: str) -> int:
        # Vyper places a mapping's entry at keccak256(slot ‖ key).
        key = to_bytes(hexstr=account).rjust(32, b"\0")
        return boa.env.get_storage(contract.address, int.from_bytes(keccak(base + key), "big"))

    return read

"""One builder deploys the whole on-chain system per test module; titanoboa snapshots and
reverts around every test and every hypothesis example, so tests start from the same state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boa
import pytest

from mycelix.chain.artifacts import CONTRACTS_DIR
from mycelix.chain.units import ONE
from mycelix.strategies.ids import song_id, strategy_id

FAUCET_LIMIT = 10**9 * ONE
MAX_UINT = 2**256 - 1


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

    def fund(self, account: str, amount: int = 1_000 * ONE) -> None:
        """Mint FLOW to `account` and approve the router for all of it."""
        with boa.env.prank(account):
            self.flow.faucet(amount)
            self.flow.approve(self.router.address, MAX_UINT)

    def register(self, name: str, strategy: str, artist: str) -> bytes:
        """Register song `name` under strategy registry name `strategy`, as `artist`."""
        sid = song_id(name)
        with boa.env.prank(artist):
            self.router.register_song(sid, strategy_id(strategy), artist)
        return sid


def load(name: str, *args: Any) -> Any:
    return boa.load(str(CONTRACTS_DIR / f"{name}.vy"), *args, name=name)


def build_system(owner: str, treasury: str) -> System:
    with boa.env.prank(owner):
        flow = load("FlowToken", FAUCET_LIMIT)
        cgc = load("GiftCredits")
        router = load("EconomicStrategyRouter", flow.address, treasury)
        pps = load("PayPerStream", router.address)
        gift = load("GiftEconomy", router.address, cgc.address)
        patronage = load("Patronage", router.address)
        auction = load("DutchAuction", router.address)
        cgc.set_minter(gift.address, True)
        cgc.renounce_ownership()
        router.register_strategy(strategy_id("pay-per-stream-v1"), pps.address)
        router.register_strategy(strategy_id("gift-economy-v1"), gift.address)
        router.register_strategy(strategy_id("patronage-v1"), patronage.address)
        router.register_strategy(strategy_id("dutch-auction-v1"), auction.address)
    return System(owner, treasury, flow, cgc, router, pps, gift, patronage, auction)


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

"""Deploy the whole on-chain system (tokens, router, strategies) through web3.py.

The same code deploys to the embedded chain and to any JSON-RPC node: it only needs a
`Web3` whose `eth.send_transaction` can send from `deployer` (an unlocked dev account, or a
local key injected with web3's sign-and-send middleware).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from mycelix.chain import artifacts
from mycelix.chain.units import ONE
from mycelix.strategies.ids import STRATEGY_CONTRACTS, strategy_id

DEV_FAUCET_LIMIT = 1_000_000 * ONE


@dataclass
class Deployment:
    """Addresses of a deployed system and the block it was deployed in."""

    chain_id: int
    addresses: dict[str, ChecksumAddress]
    block: int
    tx_hashes: dict[str, str] = field(default_factory=dict)

    def contract(self, w3: Web3, name: str) -> Contract:
        """A web3 contract object for one deployed contract."""
        return w3.eth.contract(address=self.addresses[name], abi=artifacts.load(name).abi)


Progress = Callable[[str], None]


def _wait(w3: Web3, tx_hash: bytes) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction {tx_hash.hex()} failed")
    return receipt


def _deploy(
    w3: Web3, deployer: ChecksumAddress, name: str, *args: Any
) -> tuple[ChecksumAddress, str]:
    art = artifacts.load(name)
    factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    tx_hash = factory.constructor(*args).transact({"from": deployer})
    receipt = _wait(w3, tx_hash)
    return receipt["contractAddress"], tx_hash.hex()


def deploy_system(
    w3: Web3,
    deployer: ChecksumAddress,
    *,
    token: ChecksumAddress | None = None,
    treasury: ChecksumAddress | None = None,
    faucet_limit: int = DEV_FAUCET_LIMIT,
    progress: Progress | None = None,
) -> Deployment:
    """Deploy FLOW (unless `token` names an existing ERC-20), CGC, the router and the four
    strategies; make the gift strategy CGC's only minter; register every strategy."""
    say = progress or (lambda _msg: None)
    first_block = w3.eth.block_number + 1
    addresses: dict[str, ChecksumAddress] = {}
    hashes: dict[str, str] = {}

    def deploy(name: str, *args: Any) -> ChecksumAddress:
        say(f"deploying {name}")
        addresses[name], hashes[name] = _deploy(w3, deployer, name, *args)
        return addresses[name]

    if token is None:
        token = deploy("FlowToken", faucet_limit)
    else:
        addresses["FlowToken"] = Web3.to_checksum_address(token)
    cgc = deploy("GiftCredits")
    router = deploy("EconomicStrategyRouter", token, treasury or deployer)
    deploy("PayPerStream", router)
    deploy("GiftEconomy", router, cgc)
    deploy("Patronage", router)
    deploy("DutchAuction", router)

    def call(name: str, fn: str, *args: Any) -> None:
        contract = w3.eth.contract(address=addresses[name], abi=artifacts.load(name).abi)
        _wait(w3, getattr(contract.functions, fn)(*args).transact({"from": deployer}))

    say("handing CGC minting to the gift-economy strategy")
    call("GiftCredits", "set_minter", addresses["GiftEconomy"], True)
    call("GiftCredits", "renounce_ownership")
    for contract_name, registry_name in STRATEGY_CONTRACTS.items():
        say(f"registering {registry_name}")
        call(
            "EconomicStrategyRouter",
            "register_strategy",
            strategy_id(registry_name),
            addresses[contract_name],
        )
    return Deployment(
        chain_id=w3.eth.chain_id, addresses=addresses, block=first_block, tx_hashes=hashes
    )

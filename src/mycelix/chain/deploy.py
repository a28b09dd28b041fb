"""Deploy the whole on-chain system (tokens, router, strategies) and write its manifest.

The same code deploys to the embedded chain and to any JSON-RPC node: transactions are signed
locally by the deployer's key. Running it against an existing manifest verifies instead.

An existing token (`--token`) is probed before anything is deployed: if the deployer holds some,
it moves up to one whole token to itself through `approve` + `transferFrom` (the router's own
path) and a fee-on-transfer token, whose balance comes back short, is refused. The router itself
refuses every short pull ("router: short transfer"), so a token the deployer cannot probe is still
safe, only refused later, payment by payment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3 import Web3

from mycelix.chain import artifacts
from mycelix.chain.connect import Chain
from mycelix.chain.errors import ContractRevert, DeploymentError, TransactionFailed
from mycelix.chain.manifest import Manifest
from mycelix.chain.tx import Sender
from mycelix.chain.units import ONE
from mycelix.config import Settings
from mycelix.strategies import registry
from mycelix.strategies.protocol import Deployer
from mycelix.strategies.registry import strategy_id

DEV_FAUCET_LIMIT = 1_000_000 * ONE

# The most a token probe moves (to the deployer itself): enough for a fee in basis points to show.
PROBE_AMOUNT = ONE

_PROBE_ABI: list[dict[str, Any]] = [
    {
        "name": name,
        "type": "function",
        "stateMutability": mutability,
        "inputs": [{"name": f"a{i}", "type": t} for i, t in enumerate(inputs)],
        "outputs": [{"name": "", "type": out}],
    }
    for name, inputs, out, mutability in (
        ("balanceOf", ["address"], "uint256", "view"),
        ("approve", ["address", "uint256"], "bool", "nonpayable"),
        ("transferFrom", ["address", "address", "uint256"], "bool", "nonpayable"),
    )
]

Progress = Callable[[str], None]


def deploy_system(
    w3: Web3,
    sender: Sender,
    *,
    token: str | None = None,
    treasury: str | None = None,
    faucet_limit: int = DEV_FAUCET_LIMIT,
    progress: Progress | None = None,
) -> Manifest:
    """Deploy FLOW (unless `token` names an existing ERC-20), the router and every strategy
    of the registry (each by its own `deploy`, with whatever only it needs); register them."""
    say = progress or (lambda _msg: None)
    first_block = w3.eth.block_number + 1
    addresses: dict[str, ChecksumAddress] = {}

    def deploy(name: str, *args: Any) -> ChecksumAddress:
        say(f"deploying {name}")
        art = artifacts.load(name)
        receipt = sender.deploy(art.abi, art.bytecode, *args)
        address = receipt["contractAddress"]
        if address is None:
            raise DeploymentError(f"{name}: the receipt has no contract address")
        addresses[name] = address
        return address

    def call(name: str, fn: str, *args: Any) -> None:
        contract = w3.eth.contract(address=addresses[name], abi=artifacts.load(name).abi)
        sender.transact(getattr(contract.functions, fn)(*args))

    if token is None:
        flow = deploy("FlowToken", faucet_limit)
    else:
        if not w3.eth.get_code(Web3.to_checksum_address(token)):
            raise DeploymentError(f"--token {token}: no contract at that address")
        say("probing the token for fees on transfer")
        probe_token(w3, sender, token)
        flow = addresses["FlowToken"] = Web3.to_checksum_address(token)
    router = deploy("EconomicStrategyRouter", flow, treasury or sender.address)
    deployer = Deployer(
        deploy=deploy,
        router=router,
        next_address=lambda n: create_address(
            sender.address, w3.eth.get_transaction_count(sender.address, "pending") + n
        ),
    )
    strategies = registry.all_strategies()
    for strategy in strategies:
        if strategy.deploy(deployer) != addresses.get(strategy.contract):
            raise DeploymentError(f"{strategy.name}: its deploy did not deploy {strategy.contract}")
    for strategy in strategies:
        say(f"registering strategy {strategy.name}")
        call(
            "EconomicStrategyRouter",
            "register_strategy",
            strategy_id(strategy.name),
            addresses[strategy.contract],
        )
    return Manifest.record(w3, addresses, first_block, external_token=token is not None)


def create_address(deployer: str, nonce: int) -> ChecksumAddress:
    """The address of the contract `deployer` creates with the transaction of `nonce` (CREATE:
    keccak(rlp([deployer, nonce]))[12:])."""
    if nonce == 0:
        encoded_nonce = b"\x80"
    elif nonce < 0x80:
        encoded_nonce = bytes([nonce])
    else:
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        encoded_nonce = bytes([0x80 + len(raw)]) + raw
    payload = b"\x94" + bytes.fromhex(deployer[2:]) + encoded_nonce
    return Web3.to_checksum_address(keccak(bytes([0xC0 + len(payload)]) + payload)[12:])


def probe_token(w3: Web3, sender: Sender, token: str) -> bool:
    """Refuse a token that delivers less than a transfer names (fee-on-transfer, or any token
    whose balance comes back short). The deployer sends up to `PROBE_AMOUNT` of its own balance
    to itself with `approve` + `transferFrom`; a sound token leaves the balance unchanged.
    Returns False when the deployer holds none of the token (nothing to probe with)."""
    contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=_PROBE_ABI)
    me = sender.address
    try:
        before = contract.functions.balanceOf(me).call()
    except Exception as exc:
        raise DeploymentError(f"--token {token}: not an ERC-20 (balanceOf failed)") from exc
    amount = min(before, PROBE_AMOUNT)
    if amount == 0:
        return False
    try:
        sender.transact(contract.functions.approve(me, amount))
        sender.transact(contract.functions.transferFrom(me, me, amount))
    except (ContractRevert, TransactionFailed) as exc:
        raise DeploymentError(
            f"--token {token}: a probe transfer to the deployer failed ({exc})"
        ) from exc
    after = contract.functions.balanceOf(me).call()
    if after != before:
        raise DeploymentError(
            f"--token {token}: a probe transfer of {amount} units changed the sender's balance by "
            f"{after - before:+d} (fee-on-transfer tokens are not supported: the router refuses "
            "short transfers)"
        )
    return True


def ensure_deployed(
    chain: Chain, settings: Settings, *, progress: Progress | None = None
) -> tuple[Manifest, bool]:
    """Return the verified manifest, deploying first if there is none. The flag says whether
    this call deployed."""
    path = settings.manifest_path
    if path.exists():
        manifest = Manifest.load(path)
        manifest.verify(chain.w3)
        return manifest, False
    if settings.token is None and not chain.is_dev:
        raise DeploymentError(
            "FLOW with a faucet is for dev chains only: pass --token ADDRESS of an existing ERC-20"
        )
    manifest = deploy_system(
        chain.w3, Sender(chain.w3, chain.signer), token=settings.token, progress=progress
    )
    manifest.save(path)
    return manifest, True

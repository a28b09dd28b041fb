"""The embedded chain: persistence across restarts and processes, dev accounts, time travel,
exclusive opening, and the JSON-RPC surface the rest of the platform relies on."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vyper
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound

from mycelix.chain.embedded import (
    CHAIN_DB_FILENAME,
    DEV_ACCOUNT_BALANCE,
    DEV_CHAIN_ID,
    ChainClosedError,
    ChainLockedError,
    DevAccount,
    EmbeddedChain,
    derive_dev_accounts,
)

COUNTER_SOURCE = """
# pragma version ~=0.4.3

event Bumped:
    caller: indexed(address)
    count: uint256
    at: uint256

count: public(uint256)
last_bump: public(uint256)

@external
def bump(step: uint256):
    assert step > 0, "counter: zero step"
    self.count += step
    self.last_bump = block.timestamp
    log Bumped(caller=msg.sender, count=self.count, at=block.timestamp)
"""

# Hardhat's and anvil's well-known accounts for the standard dev mnemonic.
KNOWN_ACCOUNTS = {
    0: (
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    ),
    1: (
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    ),
    9: (
        "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
        "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ),
}

SUBPROCESS_TIMEOUT = 60
# Subprocesses import this module as ``tests.chain.test_embedded``, so they run from the root.
REPO_ROOT = Path(__file__).resolve().parents[2]


class FrozenClock:
    """A wall clock the test moves by hand, so timestamps are exact."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def counter_artifact() -> dict[str, Any]:
    return dict(vyper.compile_code(COUNTER_SOURCE, output_formats=["abi", "bytecode"]))


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[EmbeddedChain]:
    with EmbeddedChain.open(tmp_path / "chain") as opened:
        yield opened


def deploy_counter(chain: EmbeddedChain, artifact: dict[str, Any], deployer: str) -> Contract:
    w3 = chain.w3
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx_hash = factory.constructor().transact({"from": deployer})
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def send_raw_transfer(chain: EmbeddedChain, payer: DevAccount, payee: str, value: int) -> bytes:
    w3 = chain.w3
    signed = payer.signer().sign_transaction(
        {
            "to": payee,
            "value": value,
            "gas": 21_000,
            "maxFeePerGas": 10 * 10**9,
            "maxPriorityFeePerGas": 10**9,
            "nonce": w3.eth.get_transaction_count(payer.address),
            "chainId": DEV_CHAIN_ID,
        }
    )
    return bytes(w3.eth.send_raw_transaction(signed.raw_transaction))


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
        cwd=REPO_ROOT,
    )


def snapshot(chain: EmbeddedChain, counter: Contract, tx_hashes: list[bytes]) -> dict[str, Any]:
    """Everything a restart must preserve, in comparable (JSON-friendly) form."""
    w3 = chain.w3
    head = w3.eth.block_number
    return {
        "block_number": head,
        "block_hashes": [w3.eth.get_block(n)["hash"].hex() for n in range(head + 1)],
        "latest_timestamp": w3.eth.get_block("latest")["timestamp"],
        "balances": [w3.eth.get_balance(a.address) for a in chain.accounts],
        "count": counter.functions.count().call(),
        "last_bump": counter.functions.last_bump().call(),
        "storage_slot_0": w3.eth.get_storage_at(counter.address, 0).hex(),
        "code": w3.eth.get_code(counter.address).hex(),
        "receipts": [
            {
                "status": r["status"],
                "block": r["blockNumber"],
                "gas": r["gasUsed"],
                "logs": len(r["logs"]),
            }
            for r in (w3.eth.get_transaction_receipt(h) for h in tx_hashes)
        ],
        "logs": [
            (log["blockNumber"], log["transactionHash"].hex(), log["data"].hex())
            for log in w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"})
        ],
        "time_offset": chain.time_offset,
    }


SNAPSHOT_IN_SUBPROCESS = """
import json, sys
from pathlib import Path
from mycelix.chain.embedded import EmbeddedChain
from tests.chain.test_embedded import snapshot
with EmbeddedChain.open(Path(sys.argv[1])) as chain:
    counter = chain.w3.eth.contract(address=sys.argv[2], abi=json.loads(sys.argv[3]))
    print(json.dumps(snapshot(chain, counter, [bytes.fromhex(h) for h in sys.argv[4:]])))
"""


def test_restart_preserves_blocks_state_receipts_logs_and_time(
    tmp_path: Path, counter_artifact: dict[str, Any]
) -> None:
    data_dir = tmp_path / "chain"
    with EmbeddedChain.open(data_dir) as chain:
        deployer, artist, listener = chain.accounts[0], chain.accounts[1], chain.accounts[2]
        counter = deploy_counter(chain, counter_artifact, deployer.address)
        tx_hashes = [
            send_raw_transfer(chain, listener, artist.address, 10**18),
            bytes(counter.functions.bump(3).transact({"from": listener.address})),
            bytes(
                chain.w3.eth.send_transaction(
                    {"from": deployer.address, "to": artist.address, "value": 12345}
                )
            ),
        ]
        advanced_to = chain.advance_time(7 * 24 * 3600)
        tx_hashes.append(bytes(counter.functions.bump(4).transact({"from": artist.address})))
        before = snapshot(chain, counter, tx_hashes)
    assert before["count"] == 7
    assert before["last_bump"] >= advanced_to
    assert len(before["logs"]) == 2
    assert before["time_offset"] == 7 * 24 * 3600

    with EmbeddedChain.open(data_dir) as chain:
        counter = chain.w3.eth.contract(address=counter.address, abi=counter_artifact["abi"])
        assert snapshot(chain, counter, tx_hashes) == before

    # A separate process sees the same chain.
    result = run_python(
        SNAPSHOT_IN_SUBPROCESS,
        str(data_dir),
        counter.address,
        json.dumps(counter_artifact["abi"]),
        *(h.hex() for h in tx_hashes),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(before))

    # New transactions continue from the stored head, with the shifted clock.
    with EmbeddedChain.open(data_dir) as chain:
        counter = chain.w3.eth.contract(address=counter.address, abi=counter_artifact["abi"])
        tx_hash = counter.functions.bump(1).transact({"from": chain.accounts[3].address})
        block = chain.w3.eth.get_block(chain.w3.eth.get_transaction_receipt(tx_hash)["blockNumber"])
        assert block["number"] == before["block_number"] + 1
        assert block["parentHash"].hex() == before["block_hashes"][-1]
        assert block["timestamp"] > before["latest_timestamp"]
        assert counter.functions.count().call() == 8


def test_process_dying_between_blocks_leaves_whole_blocks(tmp_path: Path) -> None:
    data_dir = tmp_path / "chain"
    # The child mines two transfers, starts a third block without mining it, and dies without
    # closing anything: the mined blocks must be on disk, the half-built one must not.
    code = """
import os, sys
from pathlib import Path
from mycelix.chain.embedded import EmbeddedChain
chain = EmbeddedChain.open(Path(sys.argv[1]))
w3, payer, payee = chain.w3, chain.accounts[0].address, chain.accounts[1].address
for _ in range(2):
    w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
chain._backend.send_transaction({"from": bytes.fromhex(payer[2:]), "to": bytes.fromhex(payee[2:]),
                                 "value": 1, "gas": 21000})
assert chain._backend.chain.header.gas_used > 0
print(w3.eth.block_number, flush=True)
os._exit(0)
"""
    result = run_python(code, str(data_dir))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 2

    with EmbeddedChain.open(data_dir) as chain:
        w3 = chain.w3
        payer = chain.accounts[0].address
        assert w3.eth.block_number == 2
        assert w3.eth.get_transaction_count(payer) == 2
        assert w3.eth.get_balance(chain.accounts[1].address) == DEV_ACCOUNT_BALANCE + 2
        w3.eth.send_transaction({"from": payer, "to": chain.accounts[1].address, "value": 1})
        assert w3.eth.block_number == 3


def test_dev_accounts_come_from_the_documented_mnemonic(chain: EmbeddedChain) -> None:
    w3 = chain.w3
    assert len(chain.accounts) == 10
    for index, (address, key) in KNOWN_ACCOUNTS.items():
        assert chain.accounts[index].address == address
        assert chain.accounts[index].private_key.hex() == key
        assert chain.accounts[index].signer().address == address
    assert [a.address for a in chain.accounts] == w3.eth.accounts
    assert [a.address for a in derive_dev_accounts()] == w3.eth.accounts
    assert all(w3.eth.get_balance(a.address) == DEV_ACCOUNT_BALANCE for a in chain.accounts)
    assert w3.eth.chain_id == DEV_CHAIN_ID == 31337
    # Keys are available to Python but never printed by default.
    assert KNOWN_ACCOUNTS[0][1] not in repr(chain.accounts)
    assert KNOWN_ACCOUNTS[0][1] not in str(chain.accounts[0])


def test_advance_time_moves_block_timestamp_by_exactly_the_seconds(
    chain: EmbeddedChain, counter_artifact: dict[str, Any]
) -> None:
    w3 = chain.w3
    counter = deploy_counter(chain, counter_artifact, chain.accounts[0].address)
    before = w3.eth.get_block("latest")

    assert chain.advance_time(3600) == before["timestamp"] + 3600
    after = w3.eth.get_block("latest")
    assert after["number"] == before["number"] + 1
    assert after["timestamp"] == before["timestamp"] + 3600
    assert chain.now() >= after["timestamp"]

    tx_hash = counter.functions.bump(1).transact({"from": chain.accounts[1].address})
    mined = w3.eth.get_block(w3.eth.get_transaction_receipt(tx_hash)["blockNumber"])
    assert counter.functions.last_bump().call() == mined["timestamp"] > after["timestamp"]

    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            chain.advance_time(bad)  # type: ignore[arg-type]


def test_block_clock_follows_wall_clock_plus_offset_across_restart(tmp_path: Path) -> None:
    clock = FrozenClock()
    data_dir = tmp_path / "chain"
    with EmbeddedChain.open(data_dir, clock=clock) as chain:
        w3, payer, payee = chain.w3, chain.accounts[0].address, chain.accounts[1].address
        genesis = w3.eth.get_block(0)["timestamp"]
        assert genesis == int(clock.now)

        # Stamped when the transaction arrives, not when the previous block was mined.
        clock.now += 50
        w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        assert w3.eth.get_block("latest")["timestamp"] == genesis + 50

        # Blocks within one second still get strictly increasing timestamps.
        w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        assert w3.eth.get_block("latest")["timestamp"] == genesis + 51

        assert chain.advance_time(1000) == genesis + 1051
        clock.now += 10
        w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        assert w3.eth.get_block("latest")["timestamp"] == int(clock.now) + 1000

    clock.now += 86_400
    with EmbeddedChain.open(data_dir, clock=clock) as chain:
        assert chain.time_offset == 1000
        assert chain.now() == int(clock.now) + 1000
        chain.w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        assert chain.w3.eth.get_block("latest")["timestamp"] == int(clock.now) + 1000


def test_second_open_of_the_same_chain_fails_clearly(tmp_path: Path) -> None:
    data_dir = tmp_path / "chain"
    with EmbeddedChain.open(data_dir) as first:
        with pytest.raises(ChainLockedError, match="already open"):
            EmbeddedChain.open(data_dir)

        other_process = run_python(
            "import sys; from mycelix.chain.embedded import EmbeddedChain; "
            "EmbeddedChain.open(sys.argv[1])",
            str(data_dir),
        )
        assert other_process.returncode != 0
        assert "ChainLockedError" in other_process.stderr
        assert "already open" in other_process.stderr

        # The failed attempts changed nothing for the holder.
        payer, payee = first.accounts[0].address, first.accounts[1].address
        first.w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        assert first.w3.eth.block_number == 1

    # Sequential opens are fine, and see what the first one wrote.
    with EmbeddedChain.open(data_dir) as second:
        assert second.w3.eth.block_number == 1
    with EmbeddedChain.open(data_dir) as third:
        assert third.w3.eth.block_number == 1


def test_closed_chain_refuses_requests(tmp_path: Path) -> None:
    chain = EmbeddedChain.open(tmp_path / "chain")
    w3 = chain.w3
    chain.close()
    chain.close()
    assert chain.closed
    with pytest.raises(ChainClosedError, match="the embedded chain is closed"):
        w3.eth.get_block("latest")
    with pytest.raises(ChainClosedError, match="the embedded chain is closed"):
        chain.advance_time(10)
    assert (tmp_path / "chain" / CHAIN_DB_FILENAME).exists()


def test_rpc_surface_behaves_like_a_node(
    chain: EmbeddedChain, counter_artifact: dict[str, Any]
) -> None:
    w3 = chain.w3
    deployer, artist, listener = chain.accounts[0], chain.accounts[1], chain.accounts[2]
    counter = deploy_counter(chain, counter_artifact, deployer.address)

    # A contract call signed locally and sent raw.
    bump = counter.functions.bump(5).build_transaction(
        {
            "from": listener.address,
            "nonce": w3.eth.get_transaction_count(listener.address),
            "chainId": DEV_CHAIN_ID,
        }
    )
    assert bump["gas"] == w3.eth.estimate_gas(bump)
    signed = listener.signer().sign_transaction(bump)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert receipt["from"] == listener.address

    # Blocks by number and by hash agree; the transaction is found by hash.
    by_number = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    by_hash = w3.eth.get_block(receipt["blockHash"])
    assert by_number["hash"] == by_hash["hash"] == receipt["blockHash"]
    assert by_number["transactions"][0]["hash"] == tx_hash
    assert w3.eth.get_transaction(tx_hash)["blockNumber"] == receipt["blockNumber"]

    # eth_call sees the new state; a revert reason reaches the caller.
    assert counter.functions.count().call() == 5
    with pytest.raises(ContractLogicError, match="counter: zero step"):
        counter.functions.bump(0).call({"from": artist.address})
    with pytest.raises(ContractLogicError, match="counter: zero step"):
        counter.functions.bump(0).estimate_gas({"from": artist.address})
    reverted = counter.functions.bump(0).transact({"from": artist.address, "gas": 100_000})
    assert w3.eth.get_transaction_receipt(reverted)["status"] == 0

    # Logs: decoded through the ABI, filtered by address and indexed topic.
    events = counter.events.Bumped().process_receipt(receipt)
    assert events[0]["args"]["caller"] == listener.address
    assert events[0]["args"]["count"] == 5
    counter.functions.bump(2).transact({"from": artist.address})
    logs = w3.eth.get_logs(
        {
            "fromBlock": 0,
            "toBlock": "latest",
            "address": counter.address,
            "topics": [None, "0x" + "00" * 12 + artist.address[2:].lower()],
        }
    )
    assert len(logs) == 1
    assert counter.events.Bumped().process_log(logs[0])["args"]["count"] == 7

    # Empty blocks on demand, e.g. to reach an indexer's confirmation depth.
    height = w3.eth.block_number
    chain.mine(3)
    assert w3.eth.block_number == height + 3

    # Unknown blocks and hashes behave as on a node.
    with pytest.raises(BlockNotFound, match="Block with id: '0x2710' not found"):
        w3.eth.get_block(10_000)
    with pytest.raises(TransactionNotFound, match=r"Transaction with hash: '0x[0-9a-f]{64}'"):
        w3.eth.get_transaction_receipt(Web3.keccak(text="no such transaction"))


def test_concurrent_callers_are_serialised(chain: EmbeddedChain) -> None:
    w3 = chain.w3
    payee = chain.accounts[9].address
    errors: list[BaseException] = []

    def pay(payer: str) -> None:
        try:
            for _ in range(5):
                w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(a.address,)) for a in chain.accounts[:4]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert w3.eth.block_number == 20
    assert w3.eth.get_balance(payee) == DEV_ACCOUNT_BALANCE + 20


def test_evm_snapshot_and_revert_persist(tmp_path: Path) -> None:
    data_dir = tmp_path / "chain"
    with EmbeddedChain.open(data_dir) as chain:
        w3, payer, payee = chain.w3, chain.accounts[0].address, chain.accounts[1].address
        w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        snapshot_id = w3.provider.make_request("evm_snapshot", [])["result"]
        for _ in range(3):
            w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
        assert "error" not in w3.provider.make_request("evm_revert", [snapshot_id])
        assert w3.eth.block_number == 1
        w3.eth.send_transaction({"from": payer, "to": payee, "value": 1})
    with EmbeddedChain.open(data_dir) as chain:
        assert chain.w3.eth.block_number == 2
        assert chain.w3.eth.get_transaction_count(payer) == 2

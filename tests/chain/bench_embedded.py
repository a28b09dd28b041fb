"""Benchmark: value transfers per second on the persistent embedded chain.

Not a test (pytest does not collect it). Run ``python tests/chain/bench_embedded.py [N]``.
It prints transfers/s for the embedded chain (SQLite persistence on) next to a baseline measured
in the same run: web3's stock in-memory ``EthereumTesterProvider``. Rounds alternate between the
two so that machine load affects both alike; the ratio is the number to compare across runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from mycelix.chain.embedded import DEV_HD_PATH, DEV_MNEMONIC, EmbeddedChain, derive_dev_accounts


def _signed_transfers(w3: Web3, chain_id: int, count: int) -> list[bytes]:
    payer, payee = derive_dev_accounts(2)
    signer = payer.signer()
    nonce = w3.eth.get_transaction_count(payer.address)
    return [
        signer.sign_transaction(
            {
                "to": payee.address,
                "value": 1,
                "gas": 21_000,
                "maxFeePerGas": 10 * 10**9,
                "maxPriorityFeePerGas": 1,
                "nonce": nonce + i,
                "chainId": chain_id,
            }
        ).raw_transaction
        for i in range(count)
    ]


def _rate(w3: Web3, chain_id: int, count: int) -> float:
    # Signing is the client's cost, not the chain's: done before the clock starts.
    raw = _signed_transfers(w3, chain_id, count)
    start = time.perf_counter()
    for tx in raw:
        w3.eth.send_raw_transaction(tx)
    elapsed = time.perf_counter() - start
    receipt = w3.eth.get_transaction_receipt(Web3.keccak(raw[-1]))
    assert receipt["status"] == 1
    return count / elapsed


def main(count: int = 300, rounds: int = 3) -> None:
    """Print transfers/s of the embedded chain and of the in-memory baseline."""
    backend = PyEVMBackend.from_mnemonic(DEV_MNEMONIC, num_accounts=2, hd_path=DEV_HD_PATH)
    memory_w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
    with tempfile.TemporaryDirectory() as tmp, EmbeddedChain.open(Path(tmp)) as chain:
        runs: dict[str, list[float]] = {"in-memory eth-tester": [], "embedded (SQLite)": []}
        measure: dict[str, Callable[[], float]] = {
            "in-memory eth-tester": lambda: _rate(memory_w3, memory_w3.eth.chain_id, count),
            "embedded (SQLite)": lambda: _rate(chain.w3, chain.chain_id, count),
        }
        for _ in range(rounds):
            for name, run in measure.items():
                runs[name].append(run())
        size = (Path(tmp) / "chain.sqlite3").stat().st_size
        blocks = chain.w3.eth.block_number
    base = statistics.median(runs["in-memory eth-tester"])
    ours = statistics.median(runs["embedded (SQLite)"])
    print(f"{count} transfers x {rounds} rounds, median transfers/s:")
    print(f"  in-memory eth-tester (baseline): {base:8.1f}")
    print(f"  embedded, persisted to SQLite:   {ours:8.1f}  ratio {ours / base:.2f}")
    print(f"  chain file: {size / 1e6:.1f} MB for {blocks} blocks ({size / blocks:.0f} B/block)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)

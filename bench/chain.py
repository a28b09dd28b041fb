"""Stream-payment transactions per second: the embedded py-evm chain against anvil, same run.

The same workload on both chains, through the SDK: deploy the system, register a pay-per-stream
song, fund one listener from the faucet with an unlimited approval of the router, then send N
sequential `router.pay(song, price, STREAM)` transactions with the SDK's `Sender` (build with
`eth_estimateGas`, sign locally, send raw, wait for the receipt: what every SDK transaction
does). A few warm-up transactions are not timed. Also timed on a sample: `eth_estimateGas`
alone for the same call, since it is a large share of the embedded chain's time per transaction.

    python bench/chain.py            # N = 300
    python bench/chain.py -n 1000

anvil is started from node_modules (`npm install`) on a free loopback port and stopped after.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import PaymentType, connect, salt_for, song_id_for

# Test-only helpers (tests/support) are not installed with the package: import them from the
# checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.anvil import anvil_binary, run_anvil

UNLIMITED = 2**256 - 1
WARMUP = 5
ESTIMATE_SAMPLE = 50


@dataclass(frozen=True)
class Result:
    chain: str
    transactions: int
    seconds: float
    estimate_ms: float

    @property
    def per_second(self) -> float:
        return self.transactions / self.seconds

    @property
    def ms_per_tx(self) -> float:
        return 1000 * self.seconds / self.transactions


def measure(label: str, settings: Settings, n: int) -> Result:
    with connect(settings, deploy=True) as (sdk, chain):
        artist = sdk.as_account(chain.dev_accounts[1])
        listener = sdk.as_account(chain.dev_accounts[2])
        salt = salt_for(f"bench {time.time_ns()}")
        artist.register_song(salt, "pay-per-stream-v1")
        song = song_id_for(artist.address, salt)
        listener.faucet(Decimal(1_000))
        listener.ensure_allowance(UNLIMITED)
        price = listener.quote(song, PaymentType.STREAM)
        pay = listener.router.functions.pay(song, price, int(PaymentType.STREAM), 0)
        paid_before = listener.flow_balance()

        for _ in range(WARMUP):
            listener.sender.transact(pay)
        start = time.perf_counter()
        for _ in range(n):
            listener.sender.transact(pay)
        seconds = time.perf_counter() - start

        sample = min(n, ESTIMATE_SAMPLE)
        start = time.perf_counter()
        for _ in range(sample):
            pay.estimate_gas({"from": listener.address})
        estimate_ms = 1000 * (time.perf_counter() - start) / sample

        # Every transaction really paid for one stream.
        assert paid_before - listener.flow_balance() == (WARMUP + n) * price
    return Result(label, n, seconds, estimate_ms)


def anvil_version() -> str:
    binary = anvil_binary()
    if binary is None:
        return "anvil (not found)"
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    first = out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
    return f"anvil {first.split()[-1]}" if first else "anvil"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="timed transactions per chain (300)")
    args = parser.parse_args()
    n: int = args.n

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores; "
        f"{n} sequential router.pay(STREAM) per chain after {WARMUP} untimed; "
        "each built (eth_estimateGas), signed, sent and waited for by the SDK's Sender"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="mycelix-bench-") as tmp:
        results.append(
            measure("embedded py-evm (SQLite)", Settings(data_dir=Path(tmp) / "embedded"), n)
        )
        with run_anvil() as url:
            anvil = Settings(data_dir=Path(tmp) / "anvil", rpc_url=url)
            results.append(measure(anvil_version(), anvil, n))

    print()
    print("| chain | tx/s | ms/tx | eth_estimateGas alone, ms |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r.chain} | {r.per_second:,.1f} | {r.ms_per_tx:,.2f} | {r.estimate_ms:,.2f} |")
    embedded, anvil_result = results
    print()
    print(f"ratio embedded/anvil (tx/s): {embedded.per_second / anvil_result.per_second:.3f}")
    share = embedded.estimate_ms / embedded.ms_per_tx
    print(f"embedded: eth_estimateGas is {share:.0%} of the time per transaction")


if __name__ == "__main__":
    main()

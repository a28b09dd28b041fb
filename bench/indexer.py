"""Indexer throughput: router events from anvil into the catalogue, against fetching the same
logs with `eth_getLogs` alone, in one run.

Builds a chain on anvil (from node_modules): the contracts deployed with `mycelix deploy`,
pay-per-stream and gift-economy songs each with a 3-recipient split, funded listeners; then
sends `router.pay_batch` transactions of `--batch` payments each (streams of the
pay-per-stream songs, tips of the gift songs, alternately) until `--events` router events
exist. Then, for each catalogue (a new SQLite file, and a new PostgreSQL database unless
`--no-postgres`):

- `eth_getLogs` alone: the indexer's watched contracts, over the same block ranges the
  indexer reads (`DEFAULT_BATCH_BLOCKS` per call), logs counted;
- the indexer: `Indexer.run_once()` from the deployment block to the head on the fresh
  catalogue (migrated first, untimed), i.e. fetch, decode, apply and commit.

It prints events/s for both, their ratio and the target (≥ 0.5 × the fetch rate).

    .venv/bin/python bench/indexer.py [--events 50000] [--batch 100] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/support (anvil, PostgreSQL helpers) are not installed

TARGET_RATIO = 0.5
SONGS = 10  # of each strategy
UNLIMITED = 2**256 - 1


def build_chain(data_dir: Path, rpc_url: str, events: int, batch: int) -> int:
    """Deploy, register, split and pay until `events` payment events exist; returns how many
    payments were made."""
    from mycelix.config import Settings
    from mycelix.sdk import PaymentType, Split, connect, salt_for

    env = {**os.environ, "MYCELIX_DATA_DIR": str(data_dir), "MYCELIX_RPC_URL": rpc_url}
    deploy = subprocess.run(
        [sys.executable, "-m", "mycelix.cli.main", "deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if deploy.returncode != 0:
        raise RuntimeError(f"mycelix deploy failed:\n{deploy.stdout}\n{deploy.stderr}")
    with connect(Settings(data_dir=data_dir, rpc_url=rpc_url), deploy=False) as (sdk, chain):
        artist = sdk.as_account(chain.dev_accounts[1])
        collaborators = [a.address for a in chain.dev_accounts[6:8]]
        paid: list[bytes] = []
        gifts: list[bytes] = []
        for i in range(SONGS):
            for strategy, into in (("pay-per-stream-v1", paid), ("gift-economy-v1", gifts)):
                salt = salt_for(f"indexer bench {strategy} {i}")
                artist.register_song(salt, strategy)
                song = artist.song_id_of(salt)
                artist.configure_splits(
                    song,
                    [
                        Split(artist.address, 6_000),
                        Split(collaborators[0], 3_000),
                        Split(collaborators[1], 1_000),
                    ],
                )
                into.append(song)
        listeners = [sdk.as_account(a) for a in chain.dev_accounts[2:6]]
        for listener in listeners:
            listener.faucet(Decimal(1_000))  # the dev faucet's limit per call
            listener.ensure_allowance(UNLIMITED)
        price = listeners[0].quote(paid[0], PaymentType.STREAM)
        tip = 10**15
        made = 0
        started = time.perf_counter()
        turn = 0
        while made < events:
            listener = listeners[turn % len(listeners)]
            requests = []
            for j in range(min(batch, events - made)):
                if j % 2 == 0:
                    requests.append((paid[j % SONGS], price, int(PaymentType.STREAM), 0))
                else:
                    requests.append((gifts[j % SONGS], tip, int(PaymentType.TIP), 0))
            listener.sender.transact(listener.router.functions.pay_batch(requests))
            made += len(requests)
            turn += 1
            if turn % 50 == 0:
                rate = made / (time.perf_counter() - started)
                print(f"  {made:,} payments sent ({rate:,.0f}/s)", flush=True)
    return made


def fetch_alone(w3: Any, manifest: Any, batch_blocks: int) -> tuple[int, float]:
    """`eth_getLogs` of the indexer's watched contracts over its block ranges."""
    from mycelix.indexer.indexer import WATCHED

    addresses = [manifest.addresses[c] for c in sorted(WATCHED)]
    head = w3.eth.block_number
    start, logs = manifest.deployment_block, 0
    began = time.perf_counter()
    while start <= head:
        end = min(start + batch_blocks - 1, head)
        logs += len(w3.eth.get_logs({"fromBlock": start, "toBlock": end, "address": addresses}))
        start = end + 1
    return logs, time.perf_counter() - began


def index_all(catalog_url: str, w3: Any, manifest: Any) -> tuple[int, float]:
    from mycelix.catalog.db import Catalog
    from mycelix.catalog.migrate import migrate
    from mycelix.indexer import Indexer
    from mycelix.ops.metrics import Metrics

    migrate(catalog_url)
    catalog = Catalog(catalog_url)
    try:
        with Indexer(catalog, w3, manifest, Metrics()) as indexer:
            indexer.acquire()
            began = time.perf_counter()
            applied = indexer.run_once()
            return applied, time.perf_counter() - began
    finally:
        catalog.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="payments to index (50,000)")
    parser.add_argument("--batch", type=int, default=100, help="payments per pay_batch (100)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    from mycelix.chain.manifest import Manifest
    from mycelix.config import Settings
    from mycelix.indexer.indexer import DEFAULT_BATCH_BLOCKS
    from mycelix.sdk import connect
    from tests.support.anvil import run_anvil

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {os.cpu_count()} cores")
    rows: list[tuple[str, int, float, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="mycelix-bench-indexer-") as tmp, run_anvil() as url:
        data_dir = Path(tmp) / "node"
        began = time.perf_counter()
        made = build_chain(data_dir, url, args.events, args.batch)
        print(f"chain built: {made:,} payments in {time.perf_counter() - began:.0f} s", flush=True)
        settings = Settings(data_dir=data_dir, rpc_url=url)
        manifest = Manifest.load(settings.manifest_path)
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")]
        admin = None
        if not args.no_postgres:
            from tests.catalog import postgres

            admin = postgres.admin_url()
            targets.append(("PostgreSQL", postgres.create_database(admin, prefix="mycelix_bench")))
        try:
            with connect(settings, deploy=False) as (_sdk, chain):
                w3 = chain.w3
                for label, catalog_url in targets:
                    logs, fetch_s = fetch_alone(w3, manifest, DEFAULT_BATCH_BLOCKS)
                    applied, index_s = index_all(catalog_url, w3, manifest)
                    rows.append((label, logs, fetch_s, applied, index_s))
                    print(
                        f"  {label}: eth_getLogs {logs:,} logs in {fetch_s:.2f} s; "
                        f"indexer {applied:,} events in {index_s:.2f} s",
                        flush=True,
                    )
        finally:
            if admin is not None:
                postgres.drop_database(admin, targets[1][1])
    print()
    print("| catalogue | events | eth_getLogs alone, logs/s | indexer, events/s | ratio | met |")
    print("|---|---:|---:|---:|---:|:---:|")
    for label, logs, fetch_s, applied, index_s in rows:
        fetch_rate, index_rate = logs / fetch_s, applied / index_s
        ratio = index_rate / fetch_rate
        print(
            f"| {label} | {applied:,} | {fetch_rate:,.0f} | {index_rate:,.0f} | {ratio:.2f} "
            f"| {'yes' if ratio >= TARGET_RATIO else 'NO'} |"
        )
    print(f"\ntarget: indexer ≥ {TARGET_RATIO:g} × the eth_getLogs rate of the same logs")


if __name__ == "__main__":
    main()

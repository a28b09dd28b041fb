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
- the same requests without web3's formatting of each log (the node's JSON as is), which
  is how the indexer fetches: a stricter reference, printed beside the target's;
- the indexer: `Indexer.run_once()` from the deployment block to the head on the fresh
  catalogue (migrated first, untimed), i.e. fetch, decode, apply and commit, while another
  process reads the catalogue (a song's queries: the song, its 20 latest payments) 20 times
  a second; the reader goes on for as long again (at most 5 s) after the catch-up.

It prints events/s for both, their ratio and the target (≥ 0.5 × the fetch rate), and the
reader's p50/p99 during and after the catch-up.

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


def fetch_alone(
    w3: Any, manifest: Any, batch_blocks: int, *, raw: bool = False
) -> tuple[int, float]:
    """`eth_getLogs` of the indexer's watched contracts over its block ranges, through web3
    (the target's baseline) or, with `raw`, without web3's formatting of each log (the JSON as
    the node sends it: what the indexer's own fetch now costs)."""
    from mycelix.indexer.indexer import WATCHED

    addresses = [manifest.addresses[c] for c in sorted(WATCHED)]
    head = w3.eth.block_number
    start, logs = manifest.deployment_block, 0
    began = time.perf_counter()
    while start <= head:
        end = min(start + batch_blocks - 1, head)
        if raw:
            params = {"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}
            logs += len(w3.provider.make_request("eth_getLogs", [params])["result"])
        else:
            query = {"fromBlock": start, "toBlock": end, "address": addresses}
            logs += len(w3.eth.get_logs(query))
        start = end + 1
    return logs, time.perf_counter() - began


READS_PER_S = 20


def read_loop(catalog_url: str, phase: Any, ready: Any, out: Any) -> None:
    """A reader beside the indexer, in its own process: the catalogue queries of a song's
    page (the song with its artist and splits, its 20 latest payments), for the bench's
    songs in turn, `READS_PER_S` a second (paced, so that it does not take a core from the
    indexer it is measured beside). Latencies are kept per `phase` (1: during the
    catch-up, 2: after it) and sent to `out` when phase becomes 3."""
    from sqlalchemy import select

    from mycelix.catalog.db import Catalog
    from mycelix.catalog.models import Song
    from mycelix.catalog.repositories import PaymentRepository, SongRepository

    catalog = Catalog(catalog_url)
    started = time.perf_counter()
    seen: dict[int, list[float]] = {1: [], 2: []}
    ids: list[str] = []
    turn = 0
    ready.set()
    try:
        while phase.value != 3:
            current = phase.value
            began = time.perf_counter()
            time.sleep(max(0.0, turn / READS_PER_S - (began - started)) if turn else 0.0)
            began = time.perf_counter()
            with catalog.read() as session:
                if len(ids) < 2 * SONGS:
                    ids = list(session.scalars(select(Song.song_id).limit(2 * SONGS)))
                if ids:
                    song_id = ids[turn % len(ids)]
                    SongRepository(session).get(song_id)
                    PaymentRepository(session).history(song_id=song_id, limit=20)
            if current in seen and phase.value == current:
                seen[current].append(time.perf_counter() - began)
            turn += 1
    finally:
        catalog.dispose()
        out.put(seen)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def index_all(
    catalog_url: str, w3: Any, manifest: Any
) -> tuple[int, float, dict[int, list[float]]]:
    """Index everything into a fresh catalogue while `read_loop` reads it; then let the
    reader go on for as long again (at most 5 s) on the caught-up catalogue."""
    import multiprocessing

    from mycelix.catalog.db import Catalog
    from mycelix.catalog.migrate import migrate
    from mycelix.indexer import Indexer
    from mycelix.ops.metrics import Metrics

    migrate(catalog_url)
    context = multiprocessing.get_context("spawn")
    phase, ready, out = context.Value("i", 0), context.Event(), context.Queue()
    reader = context.Process(target=read_loop, args=(catalog_url, phase, ready, out), daemon=True)
    reader.start()
    catalog = Catalog(catalog_url)
    try:
        if not ready.wait(timeout=120):  # its imports: it reads during the whole catch-up
            raise RuntimeError("the reader process did not start")
        with Indexer(catalog, w3, manifest, Metrics()) as indexer:
            indexer.acquire()
            phase.value = 1
            began = time.perf_counter()
            applied = indexer.run_once()
            took = time.perf_counter() - began
            phase.value = 2
        time.sleep(min(took, 5.0))
        phase.value = 3
        reads: dict[int, list[float]] = out.get(timeout=60)
        reader.join(timeout=10)
        return applied, took, reads
    finally:
        if reader.is_alive():
            reader.terminate()
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
    rows: list[tuple[str, int, float, float, int, float]] = []
    reads: list[tuple[str, dict[int, list[float]]]] = []
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
                    raw_logs, raw_s = fetch_alone(w3, manifest, DEFAULT_BATCH_BLOCKS, raw=True)
                    assert raw_logs == logs, (raw_logs, logs)
                    applied, index_s, seen = index_all(catalog_url, w3, manifest)
                    rows.append((label, logs, fetch_s, raw_s, applied, index_s))
                    reads.append((label, seen))
                    print(
                        f"  {label}: eth_getLogs {logs:,} logs in {fetch_s:.2f} s "
                        f"({raw_s:.2f} s without web3's formatting); "
                        f"indexer {applied:,} events in {index_s:.2f} s",
                        flush=True,
                    )
        finally:
            if admin is not None:
                postgres.drop_database(admin, targets[1][1])
    print()
    print(
        "| catalogue | events | eth_getLogs alone, logs/s | indexer, events/s | ratio | met "
        "| raw eth_getLogs, logs/s | ratio to raw |"
    )
    print("|---|---:|---:|---:|---:|:---:|---:|---:|")
    for label, logs, fetch_s, raw_s, applied, index_s in rows:
        fetch_rate, raw_rate, index_rate = logs / fetch_s, logs / raw_s, applied / index_s
        ratio = index_rate / fetch_rate
        print(
            f"| {label} | {applied:,} | {fetch_rate:,.0f} | {index_rate:,.0f} | {ratio:.2f} "
            f"| {'yes' if ratio >= TARGET_RATIO else 'NO'} | {raw_rate:,.0f} "
            f"| {index_rate / raw_rate:.2f} |"
        )
    print(f"\ntarget: indexer ≥ {TARGET_RATIO:g} × the eth_getLogs rate of the same logs")
    print()
    print("| catalogue | reads during catch-up | p50 | p99 | reads after | p50 | p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, seen in reads:
        during, after = seen[1], seen[2]
        print(
            f"| {label} | {len(during):,} | {percentile(during, 0.5) * 1e3:.1f} ms "
            f"| {percentile(during, 0.99) * 1e3:.1f} ms | {len(after):,} "
            f"| {percentile(after, 0.5) * 1e3:.1f} ms | {percentile(after, 0.99) * 1e3:.1f} ms |"
        )
    print(
        "\nreads: a song's catalogue queries (song with artist and splits, its 20 latest "
        f"payments), one process, {READS_PER_S}/s"
    )


if __name__ == "__main__":
    main()

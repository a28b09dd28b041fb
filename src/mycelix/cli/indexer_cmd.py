"""`mycelix indexer run|rebuild`: the chain indexer as its own process.

On the embedded chain the chain file is locked by whichever process opened it, so a
separate indexer process is for a JSON-RPC node (`--rpc-url`); `serve` runs the indexer
in-process otherwise.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mycelix.catalog import Catalog, migrate
from mycelix.chain.connect import Chain, open_chain
from mycelix.chain.manifest import Manifest
from mycelix.cli.common import (
    DataDir,
    RpcUrl,
    console,
    friendly_errors,
    setting_option,
    settings_from,
)
from mycelix.config import Settings
from mycelix.indexer import Indexer, rebuild
from mycelix.indexer.indexer import DEFAULT_BATCH_BLOCKS
from mycelix.ops.metrics import Metrics

indexer_app = typer.Typer(
    help="The chain indexer: contract events into the catalogue.", no_args_is_help=True
)

Confirmations = Annotated[int | None, setting_option("confirmations", min=0)]
BatchBlocks = Annotated[
    int, typer.Option("--batch-blocks", min=1, help="Most blocks applied in one transaction.")
]
Wait = Annotated[
    bool,
    typer.Option("--wait/--no-wait", help="Wait for another indexer to stop instead of failing."),
]


@contextmanager
def _opened(settings: Settings) -> Iterator[tuple[Catalog, Chain, Manifest]]:
    migrate(settings.catalog_url)
    catalog = Catalog(settings.catalog_url)
    try:
        with open_chain(settings) as chain:
            manifest = Manifest.load(settings.manifest_path)
            manifest.verify(chain.w3)
            yield catalog, chain, manifest
    finally:
        catalog.dispose()


@indexer_app.command("run")
def run(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    once: Annotated[
        bool, typer.Option("--once", help="Index what is confirmed now, then exit.")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.1, help="Seconds between polls of the chain.")
    ] = 2.0,
    confirmations: Confirmations = None,
    batch_blocks: BatchBlocks = DEFAULT_BATCH_BLOCKS,
    wait: Wait = False,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve Prometheus metrics on this port (loopback)."),
    ] = None,
) -> None:
    """Follow the chain into the catalogue.

    Runs until Ctrl-C / SIGTERM, or once with --once. Only one indexer runs per
    catalogue: a second one exits with an error (or waits)."""
    settings = settings_from(data_dir, rpc_url, confirmations=confirmations)
    metrics = Metrics()
    with friendly_errors(), _opened(settings) as (catalog, chain, manifest):
        if metrics_port is not None:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
        with Indexer(
            catalog,
            chain.w3,
            manifest,
            metrics,
            confirmations=settings.confirmations,
            batch_blocks=batch_blocks,
            wait_for_lock=wait,
            # API processes learn what changed from the catalogue's change feed
            # (mycelix.songs.changes: triggers write it in the indexer's own transactions).
        ) as indexer:
            if once:
                indexer.acquire()
                applied = indexer.run_once()
                status = indexer.status()
                console.print(
                    f"indexed to block {status.checkpoint} of {status.chain_head} "
                    f"({applied} events applied)"
                )
                return
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            if wait:
                console.print("standing by until the leader lock is free (Ctrl-C stops)")
            else:
                indexer.acquire()  # fail now, with one line, if another indexer leads
            console.print(f"indexing into {catalog.url.render_as_string()} (Ctrl-C stops)")
            indexer.run_forever(stop, poll_interval)
            console.print(f"stopped at block {indexer.status().checkpoint}")


@indexer_app.command("rebuild")
def rebuild_cmd(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    confirmations: Confirmations = None,
    batch_blocks: BatchBlocks = DEFAULT_BATCH_BLOCKS,
    wait: Wait = False,
) -> None:
    """Re-index the catalogue's money and chain tables from the chain.

    Wipes them and indexes again from the deployment block; song descriptions,
    uploads and analytics stay."""
    settings = settings_from(data_dir, rpc_url, confirmations=confirmations)
    with (
        friendly_errors(),
        _opened(settings) as (catalog, chain, manifest),
        Progress(
            TextColumn("re-indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("blocks"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        first = manifest.deployment_block
        task = bar.add_task("rebuild", total=None)

        def advance(block: int, target: int) -> None:
            bar.update(task, completed=block - first + 1, total=max(target - first + 1, 1))

        applied = rebuild(
            catalog,
            chain.w3,
            manifest,
            confirmations=settings.confirmations,
            batch_blocks=batch_blocks,
            progress=advance,
            wait_for_lock=wait,
        )
    console.print(f"rebuilt the catalogue from the chain: {applied} events applied")

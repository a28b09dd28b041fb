"""Rebuild the catalogue's chain-derived tables from the chain alone."""

from __future__ import annotations

from web3 import Web3

from mycelix.catalog import Catalog
from mycelix.chain.manifest import Manifest
from mycelix.ops.metrics import Metrics

from .indexer import CHECKPOINT, DEFAULT_BATCH_BLOCKS, Indexer, Progress


def rebuild(
    catalog: Catalog,
    w3: Web3,
    manifest: Manifest,
    metrics: Metrics | None = None,
    *,
    confirmations: int = 0,
    batch_blocks: int = DEFAULT_BATCH_BLOCKS,
    progress: Progress | None = None,
    wait_for_lock: bool = False,
    name: str = CHECKPOINT,
) -> int:
    """Wipe the money and chain tables — payments, credits, withdrawals, chain plays,
    patron events and patrons, auctions and slots, chain-confirmed splits, registrations,
    block hashes, the checkpoint — and re-index from the deployment block. Off-chain data
    (song descriptions, uploads, analytics, off-chain plays) stays. Takes the leader lock
    for the whole rebuild; returns the number of events applied.

    The wipe is one transaction and each batch after it another: readers see the
    catalogue refill, never a half-applied batch.
    """
    with Indexer(
        catalog,
        w3,
        manifest,
        metrics,
        confirmations=confirmations,
        batch_blocks=batch_blocks,
        name=name,
        wait_for_lock=wait_for_lock,
    ) as indexer:
        indexer.acquire()
        indexer.wipe()
        return indexer.run_once(progress=progress)

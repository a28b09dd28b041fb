"""The chain indexer: follows the router's and the strategies' events into the catalogue,
reorg-safe and idempotent, one leader per catalogue (see indexer.py).

    indexer = Indexer(catalog, w3, manifest, metrics, confirmations=settings.confirmations)
    indexer.run_forever(stop_event, poll_interval=2.0)   # or run_once()
    rebuild(catalog, w3, manifest)                        # money tables from the chain alone
"""

from .distribution import distribute
from .errors import ChainMoved, IndexerError, IndexerLocked, ReorgTooDeep
from .handlers import HANDLERS, IGNORED, Handler
from .indexer import CHECKPOINT, Committed, Indexer, OnCommit, Status
from .lock import LeaderLock
from .rebuild import rebuild

__all__ = [
    "CHECKPOINT",
    "HANDLERS",
    "IGNORED",
    "ChainMoved",
    "Committed",
    "Handler",
    "Indexer",
    "IndexerError",
    "IndexerLocked",
    "LeaderLock",
    "OnCommit",
    "ReorgTooDeep",
    "Status",
    "distribute",
    "rebuild",
]

"""The embedded indexer, supervised: restarted with backoff when it dies, watched from outside.

`Indexer.run_forever` retries transient failures itself and lets anything else propagate
(a handler that raises, a lost leader lock): in a separate process that ends the process and
the service manager restarts it. Inside `mycelix serve` nothing would, so the supervisor
does: each run gets a fresh `Indexer` (a new lock connection, no state from the dead run),
and the pause before the next run doubles from `backoff` up to `max_backoff`, back to
`backoff` once a run has committed a batch again.

The chain head is sampled by a thread of its own, so `mycelix_indexer_lag_blocks` keeps
rising while the indexer is stuck or dead instead of freezing at its last value; `/ready`
reads `status()` and fails when the lag passes the confirmations plus `max_lag`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from mycelix.ops.metrics import Metrics

from .indexer import Committed, Indexer, OnCommit

log = logging.getLogger(__name__)

IndexerFactory = Callable[[OnCommit], Indexer]


@dataclass(frozen=True)
class IndexerHealth:
    """What `/ready` reports about the indexer."""

    # None: the indexer runs in another process (`mycelix indexer run`).
    alive: bool | None
    restarts: int
    chain_head: int | None
    indexed: int | None
    lag_blocks: int | None
    max_lag_blocks: int
    last_batch_age_s: float | None
    last_error: str | None

    @property
    def ok(self) -> bool:
        return self.lag_blocks is not None and self.lag_blocks <= self.max_lag_blocks

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "alive": self.alive,
            "restarts": self.restarts,
            "chain_head": self.chain_head,
            "indexed": self.indexed,
            "lag_blocks": self.lag_blocks,
            "max_lag_blocks": self.max_lag_blocks,
            "last_batch_age_s": self.last_batch_age_s,
            "last_error": self.last_error,
        }


class IndexerSupervisor:
    """Runs indexers made by `factory(on_commit)` in a thread until `close()`."""

    def __init__(
        self,
        factory: IndexerFactory,
        w3: Web3,
        metrics: Metrics,
        *,
        confirmations: int = 0,
        max_lag: int = 50,
        poll_interval: float = 0.5,
        head_interval: float | None = None,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        on_commit: OnCommit | None = None,
    ) -> None:
        self.factory = factory
        self.w3 = w3
        self.metrics = metrics
        self.confirmations = confirmations
        self.max_lag = max_lag
        self.poll_interval = poll_interval
        self.head_interval = poll_interval if head_interval is None else head_interval
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.on_commit = on_commit
        self.restarts = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._running = threading.Event()
        self._guard = threading.Lock()
        self._head: int | None = None
        self._indexed: int | None = None
        self._last_batch: float | None = None
        self._indexer: Indexer | None = None
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        for target, name in ((self._supervise, "indexer"), (self._sample, "indexer-head")):
            thread = threading.Thread(target=target, name=f"mycelix-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
        self._threads.clear()

    @property
    def indexer(self) -> Indexer | None:
        """The current run's indexer (None between runs)."""
        return self._indexer

    def status(self) -> IndexerHealth:
        with self._guard:
            head, indexed, last = self._head, self._indexed, self._last_batch
        return IndexerHealth(
            alive=self._running.is_set(),
            restarts=self.restarts,
            chain_head=head,
            indexed=indexed,
            lag_blocks=_lag(head, indexed),
            max_lag_blocks=self.confirmations + self.max_lag,
            last_batch_age_s=None if last is None else round(time.monotonic() - last, 3),
            last_error=self.last_error,
        )

    # ------------------------------------------------------------------ threads

    def _supervise(self) -> None:
        pause = self.backoff
        while not self._stop.is_set():
            committed_before = self._last_batch
            try:
                indexer = self.factory(self._committed)
            except Exception as exc:
                self._died(exc, "could not start")
            else:
                self._indexer = indexer
                try:
                    checkpoint = indexer.checkpoint()
                    with self._guard:
                        self._indexed = (
                            checkpoint.block_number
                            if checkpoint is not None
                            else indexer.manifest.deployment_block - 1
                        )
                    self._running.set()
                    self.metrics.indexer_up.set(1)
                    indexer.run_forever(self._stop, poll_interval=self.poll_interval)
                except Exception as exc:
                    self._died(exc, "stopped")
                finally:
                    self._running.clear()
                    self.metrics.indexer_up.set(0)
                    self._indexer = None
                    indexer.close()
            if self._stop.is_set():
                return
            if self._last_batch != committed_before:
                pause = self.backoff  # the run made progress: the failure is a new one
            self.restarts += 1
            self.metrics.indexer_restarts.inc()
            log.warning("indexer: restarting in %.1fs", pause)
            self._stop.wait(pause)
            pause = min(pause * 2, self.max_backoff)

    def _died(self, exc: Exception, what: str) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        log.error("indexer: %s: %s", what, self.last_error, exc_info=exc)

    def _committed(self, committed: Committed) -> None:
        with self._guard:
            # A rollback moves the checkpoint down to the block before the undone ones.
            self._indexed = (
                committed.first_block - 1 if committed.rolled_back else committed.last_block
            )
            self._last_batch = time.monotonic()
        self.metrics.indexer_last_batch.set(time.time())
        if self.on_commit is not None:
            self.on_commit(committed)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                head = int(self.w3.eth.block_number)
            except Exception as exc:
                log.warning("indexer: cannot read the chain head: %s", exc)
            else:
                with self._guard:
                    self._head = head
                    indexed = self._indexed
                self.metrics.chain_head.set(head)
                lag = _lag(head, indexed)
                if lag is not None:
                    self.metrics.indexer_lag.set(lag)
            self._stop.wait(self.head_interval)


def _lag(head: int | None, indexed: int | None) -> int | None:
    if head is None:
        return None
    return max(head - (indexed if indexed is not None else 0), 0)

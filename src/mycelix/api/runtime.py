"""A running node: the platform, its API app and (optionally) the indexer thread."""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from fastapi import FastAPI

from mycelix.api.app import create_app
from mycelix.config import Settings
from mycelix.indexer.indexer import OnCommit
from mycelix.indexer.supervisor import IndexerSupervisor
from mycelix.platform import Platform

log = logging.getLogger("mycelix.runtime")


@dataclass
class Runtime:
    platform: Platform
    app: FastAPI
    supervisor: IndexerSupervisor | None = field(default=None)

    @classmethod
    def open(cls, settings: Settings, *, indexer: bool = True) -> Runtime:
        platform = Platform.open(settings)
        runtime = cls(platform, create_app(platform))
        if indexer:
            runtime.start_indexer()
            runtime.start_settlement()
        return runtime

    def start_settlement(self, **tuning: Any) -> Any:
        """Run the voucher settlement worker in this process (it settles only while it holds
        its leader lock, so replicas may all start one; see mycelix.vouchers.settlement)."""
        from mycelix.vouchers.settlement import SettlementWorker

        settings = self.platform.settings
        tuning.setdefault("batch_size", settings.voucher_batch_size)
        tuning.setdefault("max_age", float(settings.voucher_batch_age))
        worker = SettlementWorker(self.platform, **tuning)
        self.platform.extras["settlement"] = worker
        worker.start()
        return worker

    def start_indexer(self, poll_interval: float = 0.5, **supervision: Any) -> IndexerSupervisor:
        """Run the indexer in this process under a supervisor (restarts with backoff, chain
        head sampled on its own; see mycelix.indexer.supervisor). `supervision` tunes it."""
        from mycelix.indexer import Indexer
        from mycelix.songs.cache import songs_changed

        p = self.platform

        def make(on_commit: OnCommit) -> Indexer:
            return Indexer(
                p.catalog,
                p.chain.w3,
                p.manifest,
                p.metrics,
                confirmations=p.settings.confirmations,
                wait_for_lock=True,
                on_commit=on_commit,
            )

        supervisor = IndexerSupervisor(
            make,
            p.chain.w3,
            p.metrics,
            confirmations=p.settings.confirmations,
            max_lag=p.settings.indexer_max_lag,
            poll_interval=poll_interval,
            on_commit=lambda c: songs_changed(p) if c.songs_changed else None,
            **supervision,
        )
        p.extras["indexer"] = supervisor
        self.supervisor = supervisor
        supervisor.start()
        return supervisor

    def serve(self, workers: int = 1) -> None:
        import uvicorn

        s = self.platform.settings
        if workers == 1:
            gc.freeze()  # see mycelix.api.asgi
            uvicorn.run(self.app, host=s.host, port=s.port, log_level="warning", access_log=False)
            return
        # Each worker builds its own platform from the environment (same settings).
        os.environ.update(s.to_env())
        uvicorn.run(
            "mycelix.api.asgi:create",
            factory=True,
            host=s.host,
            port=s.port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )

    def close(self) -> None:
        worker = self.platform.extras.pop("settlement", None)
        if worker is not None:
            worker.close()
        # Platform.close stops the supervisor (extras["indexer"]) before the catalogue goes.
        self.platform.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

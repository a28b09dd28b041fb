"""A running node: the platform, its API app and (optionally) the indexer thread."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
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
        """Serve the app with Granian (a Rust HTTP server): it sends audio files itself
        (`http.response.pathsend`, `mycelix.streaming.endpoints`), so their bytes never pass
        through Python. One worker serves this process's app (the embedded chain and indexer
        live here); more each build their own from the environment (`mycelix.api.asgi`)."""
        from granian.constants import Interfaces
        from granian.log import LogLevels

        s = self.platform.settings
        options: dict[str, Any] = {
            "address": s.host,
            "port": s.port,
            "interface": Interfaces.ASGI,
            "log_level": LogLevels.error,  # its warnings: "embedded server is experimental"
            "log_access": False,
            "websockets": False,
            # A socket backlog for bursts of connections (Granian's default is 128).
            "backlog": 2048,
        }
        if workers == 1:
            gc.freeze()  # see mycelix.api.asgi
            asyncio.run(_serve_embedded(self.app, options))
            return
        from granian import Granian

        os.environ.update(s.to_env())
        Granian("mycelix.api.asgi:create", factory=True, workers=workers, **options).serve()

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


async def _serve_embedded(app: FastAPI, options: dict[str, Any]) -> None:
    """Granian in this process's event loop, stopped by SIGINT or SIGTERM."""
    from granian.server.embed import Server

    server = Server(app, **options)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    await server.serve()

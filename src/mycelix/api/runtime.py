"""A running node: the platform, its API app and (optionally) the indexer thread."""

from __future__ import annotations

import gc
import logging
import os
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from fastapi import FastAPI

from mycelix.api.app import create_app
from mycelix.config import Settings
from mycelix.platform import Platform

log = logging.getLogger("mycelix.runtime")


@dataclass
class Runtime:
    platform: Platform
    app: FastAPI
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def open(cls, settings: Settings, *, indexer: bool = True) -> Runtime:
        platform = Platform.open(settings)
        runtime = cls(platform, create_app(platform))
        if indexer:
            runtime.start_indexer()
        return runtime

    def start_indexer(self, poll_interval: float = 0.5) -> None:
        from mycelix.indexer import Indexer
        from mycelix.songs.cache import songs_changed

        p = self.platform
        indexer = Indexer(
            p.catalog,
            p.chain.w3,
            p.manifest,
            p.metrics,
            confirmations=p.settings.confirmations,
            wait_for_lock=True,
            on_commit=lambda c: songs_changed(p) if c.songs_changed else None,
        )
        p.extras["indexer"] = indexer

        def run() -> None:
            try:
                indexer.run_forever(self._stop, poll_interval=poll_interval)
            except Exception:
                log.exception("the indexer stopped")

        self._thread = threading.Thread(target=run, name="mycelix-indexer", daemon=True)
        self._thread.start()

    def serve(self, workers: int = 1) -> None:
        import uvicorn

        s = self.platform.settings
        if workers == 1:
            gc.freeze()  # see mycelix.api.asgi
            uvicorn.run(self.app, host=s.host, port=s.port, log_level="warning", access_log=False)
            return
        # Each worker builds its own platform from the environment (same settings).
        os.environ.update(_settings_env(s))
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
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
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


def _settings_env(s: Settings) -> dict[str, str]:
    values: dict[str, Any] = {
        "MYCELIX_DATA_DIR": s.data_dir,
        "MYCELIX_RPC_URL": s.rpc_url,
        "MYCELIX_DATABASE_URL": s.database_url,
        "MYCELIX_REDIS_URL": s.redis_url,
        "MYCELIX_CORS_ORIGINS": ",".join(s.cors_origins),
        "MYCELIX_MAX_UPLOAD_MB": s.max_upload_mb,
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "")}

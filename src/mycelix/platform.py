"""The composition root: one `Platform` built from one `Settings` holds every long-lived part
(chain, deployment, catalogue, content store, shared state, metrics). The CLI, the API and the
tests all build it the same way."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from web3 import Web3
from web3.middleware import Web3Middleware

from mycelix.catalog import Catalog, migrate
from mycelix.chain.connect import Chain, open_chain
from mycelix.chain.deploy import ensure_deployed
from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.ops.metrics import Metrics
from mycelix.sdk.client import Mycelix
from mycelix.shared.state import SharedState, open_state
from mycelix.storage import ContentStore, LocalContentStore


@dataclass
class Platform:
    settings: Settings
    chain: Chain
    manifest: Manifest
    sdk: Mycelix
    catalog: Catalog
    store: ContentStore
    state: SharedState
    metrics: Metrics
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(
        cls, settings: Settings, *, metrics: Metrics | None = None, deploy: bool = True
    ) -> Platform:
        """Connect, deploy on a fresh dev chain (or verify), migrate the catalogue."""
        metrics = metrics or Metrics()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        metrics.watch_disk(settings.data_dir)
        chain = open_chain(settings)
        try:
            _observe_rpc(chain.w3, metrics)
            if deploy:
                manifest, _ = ensure_deployed(chain, settings)
            else:
                manifest = Manifest.load(settings.manifest_path)
                manifest.verify(chain.w3)
            migrate(settings.catalog_url)
            catalog = Catalog(settings.catalog_url)
            _observe_db(catalog, metrics)
            store = LocalContentStore(settings.content_dir)
            state = open_state(settings.redis_url)
        except BaseException:
            chain.close()
            raise
        sdk = Mycelix(chain.w3, manifest, chain.signer)
        return cls(settings, chain, manifest, sdk, catalog, store, state, metrics)

    def close(self) -> None:
        indexer = self.extras.pop("indexer", None)
        if indexer is not None:
            indexer.close()
        self.catalog.dispose()
        self.chain.close()


def _observe_db(catalog: Catalog, metrics: Metrics) -> None:
    """Time every catalogue statement, labelled by its verb (SELECT, INSERT, ...)."""
    engines = {catalog.writer, catalog.reader}
    for engine in engines:

        @event.listens_for(engine, "before_cursor_execute")
        def _start(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info.setdefault("mycelix_t0", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _stop(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            started = conn.info["mycelix_t0"].pop()
            verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "OTHER"
            metrics.db_latency.labels(verb if verb in _VERBS else "OTHER").observe(
                time.perf_counter() - started
            )


_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "PRAGMA"})


def _observe_rpc(w3: Web3, metrics: Metrics) -> None:
    """Time every JSON-RPC request and count failures, by method."""

    class RpcMetrics(Web3Middleware):
        def wrap_make_request(self, make_request: Any) -> Any:
            def middleware(method: str, params: Any) -> Any:
                start = time.perf_counter()
                try:
                    response = make_request(method, params)
                except Exception:
                    metrics.rpc_errors.labels(method).inc()
                    raise
                finally:
                    metrics.rpc_latency.labels(method).observe(time.perf_counter() - start)
                if isinstance(response, dict) and "error" in response:
                    metrics.rpc_errors.labels(method).inc()
                return response

            return middleware

    w3.middleware_onion.add(RpcMetrics, name="mycelix_rpc_metrics")

"""`/health` (cheap: the process answers), `/ready` (every dependency answers), `/metrics`."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from mycelix.api.deps import PlatformDep
from mycelix.catalog.repositories import ChainStateRepository
from mycelix.indexer.indexer import CHECKPOINT
from mycelix.indexer.supervisor import IndexerHealth, IndexerSupervisor
from mycelix.platform import Platform

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up. Touches no dependency."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "a dependency is down"}})
async def ready(p: PlatformDep) -> Response:
    """Each dependency answers: database, chain (and the deployment's code), content store,
    shared state; and the indexer is no more than the confirmations plus `indexer_max_lag`
    blocks behind the chain head (alive, lag and age of its last batch are reported). 503
    with the failing checks otherwise."""

    def database() -> None:
        with p.catalog.read() as session:
            session.execute(text("SELECT 1"))

    def chain() -> None:
        p.manifest.verify(p.chain.w3)

    def content() -> None:
        p.store.check()

    checks: dict[str, Any] = {}
    ok = True
    for name, check in (
        ("database", database),
        ("chain", chain),
        ("content", content),
        ("state", p.state.ping),
    ):
        start = time.perf_counter()
        try:
            await asyncio.to_thread(check)
            checks[name] = {"ok": True, "ms": round((time.perf_counter() - start) * 1000, 1)}
        except Exception as exc:
            ok = False
            checks[name] = {"ok": False, "error": str(exc)[:300]}
    try:
        health = await asyncio.to_thread(indexer_health, p)
        checks["indexer"] = health.as_dict()
        ok = ok and health.ok
    except Exception as exc:
        ok = False
        checks["indexer"] = {"ok": False, "error": str(exc)[:300]}
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )


def indexer_health(p: Platform) -> IndexerHealth:
    """The embedded indexer's supervisor status; without one (the indexer runs in its own
    process), the catalogue's checkpoint against the chain head."""
    supervisor = p.extras.get("indexer")
    if isinstance(supervisor, IndexerSupervisor):
        return supervisor.status()
    head = int(p.chain.w3.eth.block_number)
    with p.catalog.read() as session:
        checkpoint = ChainStateRepository(session).checkpoint(CHECKPOINT)
    indexed = checkpoint.block_number if checkpoint else p.manifest.deployment_block - 1
    return IndexerHealth(
        alive=None,
        restarts=0,
        chain_head=head,
        indexed=indexed,
        lag_blocks=max(head - indexed, 0),
        max_lag_blocks=p.settings.confirmations + p.settings.indexer_max_lag,
        last_batch_age_s=None,
        last_error=None,
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(p: PlatformDep) -> Response:
    """Prometheus exposition of every metric family (see docs/metrics.md)."""
    return Response(generate_latest(p.metrics.registry), media_type=CONTENT_TYPE_LATEST)

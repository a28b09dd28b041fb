"""`create_app(platform)`: the FastAPI application, built the same way by `mycelix serve`,
`mycelix serve --get` and the tests."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from mycelix import __version__
from mycelix.api import errors
from mycelix.api.deps import WriteQueue, plain_query
from mycelix.api.fastpath import SongReadFastPath
from mycelix.api.observe import ObserveMiddleware
from mycelix.auth.service import AuthService, public_origins
from mycelix.platform import Platform
from mycelix.songs.cache import EXTRAS_KEY, SongCache
from mycelix.songs.reads import detail as song_detail
from mycelix.streaming.fastpath import AudioFastPath
from mycelix.web import install as install_web

# FastAPI ≥ 0.165 bridges to OpenTelemetry when a provider is configured, and asks whether one
# is on every request (environment look-ups: ~10 % of a cached read's time). Metrics here are
# Prometheus (`mycelix.ops.metrics`, `ObserveMiddleware`): the bridge is switched off.
_NO_OPENTELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


class MycelixAPI(FastAPI):
    """FastAPI with a front: raw ASGI layers run before Starlette's own stack (its error
    middleware, FastAPI's body-limit and telemetry layers, exception handling, routing). The
    hot reads answered in front (`SongReadFastPath`, `AudioFastPath`) skip those layers;
    everything else passes through them as before."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.front: list[tuple[Callable[..., Any], dict[str, Any]]] = []

    def add_front(self, layer: Callable[..., Any], **options: Any) -> None:
        """Wrap the app in `layer(app, **options)`; the first added is innermost."""
        if self.middleware_stack is not None:
            raise RuntimeError("the app has started: its front is fixed")
        self.front.append((layer, options))

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        for layer, options in self.front:
            app = layer(app, **options)
        return app


def create_app(platform: Platform, *, cors_origins: list[str] | None = None) -> FastAPI:
    from mycelix.analytics.endpoints import router as analytics
    from mycelix.auth.endpoints import router as auth
    from mycelix.earnings.endpoints import router as earnings
    from mycelix.ops.endpoints import router as system
    from mycelix.rpc.endpoint import router as rpc
    from mycelix.songs.endpoints import router as songs
    from mycelix.strategies.endpoints import router as strategies
    from mycelix.streaming.endpoints import router as streaming
    from mycelix.transactions.endpoints import router as transactions
    from mycelix.uploads.endpoints import router as uploads
    from mycelix.vouchers.endpoints import router as vouchers

    app = MycelixAPI(
        **_NO_OPENTELEMETRY,
        dependencies=[Depends(plain_query)],
        title="Mycelix Music API",
        version=__version__,
        description="Songs, uploads, streaming, earnings and wallet-ready transactions for a "
        "music platform where every song carries its own economic strategy.",
    )
    app.state.platform = platform
    app.state.writes = WriteQueue.for_platform(platform)
    app.state.auth = AuthService(
        platform.state,
        platform.metrics,
        platform.manifest.chain_id,
        public_origins(platform.settings),
    )
    errors.install(app)
    install_web(app)
    for router in (
        system,
        auth,
        songs,
        uploads,
        streaming,
        earnings,
        strategies,
        transactions,
        analytics,
        rpc,
        vouchers,
    ):
        app.include_router(router)
    # In front of FastAPI's stack, innermost first: the cached song reads and audio, then
    # CORS and the metrics, which so treat the fast paths' answers like any other.
    # `is None`, not `or`: an empty cache is falsy (it has a length), and replacing it would
    # leave the app that holds it without the indexer's invalidations.
    cache = platform.extras.get(EXTRAS_KEY)
    if cache is None:
        cache = platform.extras[EXTRAS_KEY] = SongCache.for_platform(platform)
    app.add_front(
        SongReadFastPath,
        cache=cache,
        metrics=platform.metrics,
        detail=partial(song_detail, platform.catalog),
    )
    app.add_front(AudioFastPath, platform=platform)
    origins = cors_origins if cors_origins is not None else platform.settings.cors_origins
    if origins:
        app.add_front(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Range", "X-Filename"],
            expose_headers=["Content-Range", "Accept-Ranges", "ETag", "Retry-After"],
        )
    app.add_front(ObserveMiddleware, metrics=platform.metrics)
    return app

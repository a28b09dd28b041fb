"""ASGI middleware: RED metrics per route template (never the raw path) and in-flight gauge.

Pure ASGI rather than a `BaseHTTPMiddleware` so the per-request overhead stays small on hot
read paths."""

from __future__ import annotations

import time
from typing import Any

from mycelix.ops.metrics import Metrics

Scope = dict[str, Any]


class ObserveMiddleware:
    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        m = self.metrics
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        m.http_in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            m.http_in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            m.http_requests.labels(method, template, str(status)).inc()
            m.http_latency.labels(method, template).observe(time.perf_counter() - start)
            code = scope.get("state", {}).get("error_code")
            if code:
                m.http_errors.labels(template, code).inc()

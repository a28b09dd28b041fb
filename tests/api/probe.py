"""A latency probe for the load test: one path asked over and over from its own thread and
event loop, so the writers' client work on the test's loop does not delay its answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx


def probe(url: str, path: str, stop: Any, ready: Any, out: Any, every: float = 0.010) -> None:
    """`path` over and over on its own connection until `stop`; puts the latencies on `out`
    with the answers that were not 200. A timeout counts as its full wait."""
    latencies: list[float] = []
    failures: list[str] = []

    async def run() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=5.0) as probe:
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    answer = await probe.get(path)
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")
                except httpx.TimeoutException:
                    failures.append("timeout")
                latencies.append(time.perf_counter() - start)
                ready.set()
                await asyncio.sleep(every)

    asyncio.run(run())
    out.put((latencies, failures))

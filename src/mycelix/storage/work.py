"""Probing and decoding media off the event loop, one file at a time per process.

Both are CPU-bound Python (parsers, the `wave` module, numpy over decoded blocks): run side by
side they gain little from a second core and contend for the GIL with the event loop, whose
answers (`/health` included) then wait for it. So they take turns here, on worker threads;
a thread waiting for its turn holds no GIL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_turn = threading.Lock()


async def media_work(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` on a worker thread, after the media work before it."""

    def run() -> T:
        with _turn:
            return fn(*args, **kwargs)

    return await asyncio.to_thread(run)

"""Shared helpers for the storage tests: cached generated media and store inspection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeVar

from tests.support import media as fx

T = TypeVar("T")

AUDIO_FORMATS = ("wav", "mp3", "flac", "ogg", "opus", "m4a")
IMAGE_FORMATS = ("png", "jpeg", "webp")


def run(awaitable: Awaitable[T]) -> T:
    async def wrapper() -> T:
        return await awaitable

    return asyncio.run(wrapper())


@cache
def audio(fmt: str, seconds: float = 3.0, seed: int = 0) -> bytes:
    return fx.audio_bytes(fmt, seconds, seed=seed)


@cache
def image(fmt: str, width: int = 256, height: int = 256) -> bytes:
    return fx.image_bytes(fmt, width, height)


async def achunks(data: bytes | Iterable[bytes], size: int = 65536) -> AsyncIterator[bytes]:
    """An async request body: `data` in chunks, yielding to the loop between them."""
    if isinstance(data, bytes):
        parts: Iterable[bytes] = (data[i : i + size] for i in range(0, len(data), size))
    else:
        parts = data
    for part in parts:
        await asyncio.sleep(0)
        yield part


def files_under(root: Path) -> list[Path]:
    """Every regular file below `root` (objects and temporary files alike)."""
    return sorted(p for p in root.rglob("*") if p.is_file())

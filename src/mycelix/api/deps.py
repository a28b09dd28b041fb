"""Request-scoped dependencies: the platform, catalogue sessions (the request commits), the
signed-in address, rate limits.

Nothing here blocks the event loop: catalogue sessions are opened, used and committed on
worker threads. Writers first wait for a turn in the app's `WriteQueue`, on the event loop,
holding no thread and no connection: SQLite has one writer connection, and writers that
queued for it on worker threads would take the threads that reads need (and one that took
it on the event loop froze the whole server)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import contextmanager_in_threadpool, run_in_threadpool
from sqlalchemy.orm import Session

from mycelix.api.errors import APIError
from mycelix.auth.service import AuthService
from mycelix.errors import Unavailable
from mycelix.platform import Platform

_log = logging.getLogger(__name__)
_unenforced_since = [float("-inf")]  # when the last fail-open warning was logged

SESSION_COOKIE = "mycelix_session"
# Concurrent units of work on PostgreSQL: well below the 40 worker threads, so that reads
# always find threads and connections however many writes arrive.
PG_WRITE_SLOTS = 8

T = TypeVar("T")


class WriteQueue:
    """Units of work take turns here, on the event loop, before they take a worker thread
    and a catalogue connection: one at a time on SQLite (one writer connection), a few at
    a time on PostgreSQL. Waiting costs nothing but a place in the queue."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    @classmethod
    def for_platform(cls, p: Platform) -> WriteQueue:
        return cls(1 if p.catalog.dialect == "sqlite" else PG_WRITE_SLOTS)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:  # tests run several loops
            self._loop, self._semaphore = loop, asyncio.Semaphore(self.slots)
        async with self._semaphore:
            yield


def write_queue(request: Request) -> WriteQueue:
    return request.app.state.writes


async def write(request: Request, unit: Callable[[Session], T]) -> T:
    """Run `unit(session)` as one unit of work on a worker thread, in turn: committed when it
    returns, rolled back when it raises. For async endpoints that write."""
    p: Platform = request.app.state.platform

    def run() -> T:
        with p.catalog.write() as session:
            return unit(session)

    async with write_queue(request).turn():
        return await run_in_threadpool(run)


# Dependencies that only look something up are `async def`: FastAPI would run a plain `def`
# on a worker thread, a hand-off (and a GIL round trip) per request for nothing.
async def platform(request: Request) -> Platform:
    return request.app.state.platform


def reader(p: Annotated[Platform, Depends(platform)]) -> Iterator[Session]:
    with p.catalog.read() as session:
        yield session


async def writer(
    request: Request, p: Annotated[Platform, Depends(platform)]
) -> AsyncIterator[Session]:
    """A unit of work that commits when the endpoint returns without raising — before the
    response is sent (`WriteSession` has function scope), so a client that got its answer
    reads what it wrote."""
    async with (
        write_queue(request).turn(),
        contextmanager_in_threadpool(p.catalog.write()) as session,
    ):
        yield session


async def auth(request: Request) -> AuthService:
    return request.app.state.auth


def session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


async def current_address(request: Request, service: Annotated[AuthService, Depends(auth)]) -> str:
    """The signed-in address, or 401."""
    address = await _address_for(service, session_token(request))
    if address is None:
        raise APIError(401, "sign in first (GET /api/auth/nonce, then POST /api/auth/verify)")
    return address


async def optional_address(
    request: Request, service: Annotated[AuthService, Depends(auth)]
) -> str | None:
    return await _address_for(service, session_token(request))


async def _address_for(service: AuthService, token: str | None) -> str | None:
    """The session's address: without a token, at once (a plain `def` dependency would cost
    every anonymous request a worker-thread hop: a third of an audio request's time); with
    one, the shared-state lookup on a worker thread."""
    if token is None:
        return None
    return await run_in_threadpool(service.address_for, token)


def loopback_client(request: Request) -> bool:
    """The request comes from this machine (Starlette's in-process TestClient counts)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"


async def plain_query(request: Request) -> None:
    """400 for a NUL in any query parameter: SQLite's LIKE stops at it (a search for
    "x\\0" matched every song) and PostgreSQL refuses it in text."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise APIError(400, f"{name}: NUL characters are not allowed in query parameters")


def rate_limit(bucket: str, limit: int, window: int = 60) -> Callable[[Request], None]:
    """A dependency allowing `limit` requests per `window` seconds per client and bucket,
    counted in the shared state so replicas enforce one limit together."""

    def check(request: Request) -> None:
        p: Platform = request.app.state.platform
        client = request.client.host if request.client else "unknown"
        try:
            allowed, retry = p.state.hit(f"{bucket}:{client}", limit, window)
        except Unavailable as exc:
            # Fail open: the catalogue stays up while Redis is down (`/ready` says so, and
            # sign-in, which needs the shared state, answers 503). Said once a minute, not
            # once a request.
            now = time.monotonic()
            if now - _unenforced_since[0] > 60:
                _unenforced_since[0] = now
                _log.warning("rate limits not enforced: %s", exc)
            return
        if not allowed:
            route = getattr(request.scope.get("route"), "path", "unmatched")
            p.metrics.rate_limited.labels(route).inc()
            raise APIError(
                429, f"too many requests; retry in {retry} s", headers={"Retry-After": str(retry)}
            )

    return check


ReadSession = Annotated[Session, Depends(reader)]
WriteSession = Annotated[Session, Depends(writer, scope="function")]
CurrentAddress = Annotated[str, Depends(current_address)]
OptionalAddress = Annotated[str | None, Depends(optional_address)]
PlatformDep = Annotated[Platform, Depends(platform)]

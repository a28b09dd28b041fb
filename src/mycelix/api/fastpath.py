"""A raw-ASGI fast path for the two hot song reads, `GET /api/songs?...` and
`GET /api/songs/{song_id}`, and for the catalogue pages built from the same rows (`GET /` and
`GET /discover?...`, `GET /songs/{id}`, `GET /artists/{address}`: the same HTML for every
visitor, the viewer's state comes from scripts):
answers from `mycelix.songs.cache.SongCache` before FastAPI
routes anything, and fills the cache from the app's own answers.

- A hit sends the cached status, headers and body (~20 µs of Python instead of routing,
  dependency injection, a catalogue query, validation and serialisation). It sets
  `scope["route"]` to the route FastAPI resolved for that path on its miss, so
  `ObserveMiddleware` (outside this one) counts hits under the same route templates.
- A detail miss, once the app has answered one detail, is read straight from the catalogue
  (`mycelix.songs.reads.detail`, on a worker thread) and sent with the headers the route
  sent: routing and dependency injection were ~80 % of a miss's time on the event loop.
  Whatever the route would refuse (a malformed id, a NUL in the query, an unknown song, an
  error) still goes to the app.
- Any other miss goes through the app unchanged; a 200 is stored with what it shows (its songs and
  artists, `mycelix.songs.cache.dependencies`) under the cache's mark taken before the app
  ran (`SongCache.put` refuses it if one of those changed meanwhile), and only when FastAPI
  routed it to the song listing or the song detail (so
  `/api/songs/{id}/audio` and other routes are never cached). Concurrent misses for one
  URL wait for the first (single flight), and at most `max_misses` misses run in the app
  at once: each holds a worker thread and a catalogue connection, and a burst of misses
  right after an invalidation must queue here, on the event loop, not in the connection
  pool while holding the thread-pool tokens FastAPI needs to finish the others.
- A successful write (POST/PUT/PATCH/DELETE answered 2xx) under `/api/songs` or
  `/api/artists` (artist names appear in song payloads) bumps the cache once the app has
  returned, i.e. after the request's unit of work committed: the next lookup reads the
  catalogue's change feed at once (on PostgreSQL it would otherwise wait for the next poll).

Install it innermost of the app's front (`MycelixAPI.add_front` in `create_app`), inside CORS
and the metrics middleware, so both treat cached answers like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from mycelix.api.params import song_id_or_none
from mycelix.songs.cache import CachedResponse, SongCache, dependencies, song_dependencies
from mycelix.songs.changes import Change

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LIST_PATH = "/api/songs"
DETAIL_PREFIX = "/api/songs/"
TEMPLATES = {
    "list": "/api/songs",
    "detail": "/api/songs/{song_id}",
    "home": "/",
    "discover": "/discover",
    "song_page": "/songs/{song_id}",
    "artist_page": "/artists/{address}",
}
PAGES = {"/": "home", "/discover": "discover"}
# Song and artist pages: also the same HTML for every visitor, built from catalogue rows.
PAGE_PREFIXES = {"/songs/": "song_page", "/artists/": "artist_page"}
WRITE_PREFIXES = ("/api/songs", "/api/artists")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_MAX_MISSES = 4  # the SQLite reader pool (mycelix.catalog.db.SQLITE_READERS)


class SongReadFastPath:
    def __init__(
        self,
        app: ASGIApp,
        cache: SongCache,
        *,
        max_misses: int = DEFAULT_MAX_MISSES,
        metrics: Any = None,
        detail: Callable[[str], tuple[bytes, str] | None] | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self.max_misses = max_misses
        self.detail = detail
        self._routes: dict[str, Any] = {}
        # The detail route's answer headers (FastAPI's, as first sent), for direct misses.
        self._detail_headers: tuple[tuple[bytes, bytes], ...] | None = None
        self.direct = 0  # detail misses answered without the app
        self._inflight: dict[bytes, asyncio.Future[CachedResponse | None]] = {}
        self._gate: asyncio.Semaphore | None = None
        counter = getattr(metrics, "cache", None)
        self._hit = counter.labels("songs", "hit") if counter is not None else None
        self._miss = counter.labels("songs", "miss") if counter is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path: str = scope["path"]
        if method != "GET":
            if method in UNSAFE and path.startswith(WRITE_PREFIXES):
                await self._write(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        kind = _kind(path)
        if kind is None:
            await self.app(scope, receive, send)
            return
        key = path.encode() + b"?" + scope.get("query_string", b"")
        route = self._routes.get(kind)
        if route is not None:
            hit = self.cache.get(key)
            if hit is not None:
                if self._hit is not None:
                    self._hit.inc()
                scope["route"] = route
                await _send(send, hit)
                return
        if self._miss is not None:
            self._miss.inc()
        leader = self._inflight.get(key)
        if leader is not None:
            shared = await asyncio.shield(leader)
            if shared is not None and route is not None:
                scope["route"] = route
                await _send(send, shared)
                return
        await self._fill(kind, key, scope, receive, send)

    async def _fill(
        self, kind: str, key: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the app for a miss, passing its answer through and keeping a copy."""
        future: asyncio.Future[CachedResponse | None] | None = None
        if key not in self._inflight:
            future = asyncio.get_running_loop().create_future()
            self._inflight[key] = future
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        body: list[bytes] = []
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal status, cacheable
            kind_ = message["type"]
            if kind_ == "http.response.start":
                status = message["status"]
                headers.extend((bytes(k), bytes(v)) for k, v in message.get("headers", ()))
                cacheable = status == 200 and not message.get("trailers", False)
            elif kind_ == "http.response.body":
                if cacheable:
                    body.append(bytes(message.get("body", b"")))
            else:
                cacheable = False
            await send(message)

        answer: CachedResponse | None = None
        try:
            if self._gate is None:
                self._gate = asyncio.Semaphore(self.max_misses)
            async with self._gate:
                mark = self.cache.mark()
                direct = await self._direct_detail(kind, scope)
                if direct is not None:
                    self.direct += 1
                    answer, shows = direct
                    scope["route"] = self._routes["detail"]
                    await _send(send, answer)
                    self.cache.put(key, mark, answer, shows)
                    return
                await self.app(scope, receive, capture)
            route = scope.get("route")
            if (
                cacheable
                and status == 200
                and getattr(route, "path", None) == TEMPLATES[kind]
                and not any(k.lower() == b"set-cookie" for k, _ in headers)
            ):
                answer = CachedResponse(200, tuple(headers), b"".join(body))
                self._routes.setdefault(kind, route)
                if kind == "detail" and self._detail_headers is None:
                    self._detail_headers = answer.headers
                shows = dependencies(kind, scope.get("query_string", b""), answer.body)
                self.cache.put(key, mark, answer, shows)
        finally:
            if future is not None:
                self._inflight.pop(key, None)
                future.set_result(answer)

    async def _direct_detail(
        self, kind: str, scope: Scope
    ) -> tuple[CachedResponse, list[Change]] | None:
        """A detail miss answered from `mycelix.songs.reads` without FastAPI (routing,
        dependencies and the thread hand-off were ~80 % of a miss's time on the event loop),
        once the app has answered one detail (its route and headers are known). Anything
        else — a malformed id, a NUL in the query (the app's 400), an unknown song (404), an
        error — goes through the app, which answers it as it always does."""
        template = self._detail_headers
        if kind != "detail" or self.detail is None or template is None:
            return None
        query: bytes = scope.get("query_string", b"")
        if b"\x00" in query or b"%00" in query:
            return None
        song_id = song_id_or_none(scope["path"][len(DETAIL_PREFIX) :])
        if song_id is None:
            return None
        try:
            found = await run_in_threadpool(self.detail, song_id)
        except Exception:  # the app meets it again and answers it (and logs it)
            return None
        if found is None:
            return None
        body, artist = found
        length = str(len(body)).encode()
        headers = tuple(
            (k, length) if k.lower() == b"content-length" else (k, v) for k, v in template
        )
        return CachedResponse(200, headers, body), list(song_dependencies(song_id, artist))

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if 200 <= status < 300:
                self.cache.bump()


def _kind(path: str) -> str | None:
    if path in PAGES:
        return PAGES[path]
    for prefix, kind in PAGE_PREFIXES.items():
        if path.startswith(prefix) and len(path) > len(prefix) and "/" not in path[len(prefix) :]:
            return kind
    if path == LIST_PATH:
        return "list"
    if (
        path.startswith(DETAIL_PREFIX)
        and len(path) > len(DETAIL_PREFIX)
        and "/" not in path[len(DETAIL_PREFIX) :]
    ):
        return "detail"
    return None


async def _send(send: Send, response: CachedResponse) -> None:
    await send(
        {"type": "http.response.start", "status": response.status, "headers": response.headers}
    )
    await send({"type": "http.response.body", "body": response.body})

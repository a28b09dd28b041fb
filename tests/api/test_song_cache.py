"""The song response cache (`mycelix.songs.cache`) and the raw-ASGI fast path in front of the
song reads (`mycelix.api.fastpath`), on their own: versions, refusing a stale `put`, the size
bound and eviction order, expiry, the version sources (SQLite `data_version` written by
another process, a Redis counter), and the middleware's rules (what it caches, single
flight, writes invalidate). `test_song_cache_platform.py` runs them inside the real app."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mycelix.api.fastpath import SongReadFastPath
from mycelix.ops.metrics import Metrics
from mycelix.songs.cache import (
    MAX_ENTRY_BYTES,
    CachedResponse,
    LocalVersion,
    RedisVersion,
    SongCache,
    SqliteDataVersion,
    announce_songs_changed,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(body: bytes) -> CachedResponse:
    return CachedResponse(200, ((b"content-type", b"application/json"),), body)


# --------------------------------------------------------------------------- SongCache


def test_read_after_write_in_one_process() -> None:
    cache = SongCache()
    key = b"/api/songs/0x01?"
    version = cache.version()
    assert cache.put(key, version, answer(b'{"title":"old"}'))
    assert cache.get(key) == answer(b'{"title":"old"}')
    cache.bump()  # a write committed
    assert cache.get(key) is None
    assert len(cache) == 0 and cache.size_bytes == 0
    assert (cache.hits, cache.misses) == (1, 1)


def test_a_put_from_before_a_write_is_refused() -> None:
    """A read that started before a write may carry the old answer: not stored."""
    cache = SongCache()
    key = b"/api/songs?"
    started = cache.version()
    cache.bump()
    assert cache.put(key, started, answer(b"[old]")) is False
    assert cache.get(key) is None
    assert cache.put(key, cache.version(), answer(b"[new]")) is True
    assert cache.get(key) == answer(b"[new]")


def test_the_size_bound_evicts_the_least_recently_used() -> None:
    body = b"x" * 90
    key_size = len(b"/k0")
    cache = SongCache(max_bytes=3 * (len(body) + key_size))
    v = cache.version()
    for k in (b"/k0", b"/k1", b"/k2"):
        assert cache.put(k, v, answer(body))
    assert cache.size_bytes == cache.max_bytes
    assert cache.get(b"/k0") is not None  # k0 is now the most recently used
    assert cache.put(b"/k3", v, answer(body))
    assert cache.get(b"/k1") is None  # the least recently used went
    assert [cache.get(k) is not None for k in (b"/k0", b"/k2", b"/k3")] == [True] * 3
    assert cache.size_bytes <= cache.max_bytes and len(cache) == 3
    # Replacing an entry counts its bytes once.
    assert cache.put(b"/k3", v, answer(b"y" * 10))
    assert cache.size_bytes == 2 * (len(body) + key_size) + 10 + key_size


def test_entries_too_big_are_refused() -> None:
    cache = SongCache(max_bytes=100)
    v = cache.version()
    assert cache.put(b"/big", v, answer(b"x" * 100)) is False
    assert len(cache) == 0 and cache.size_bytes == 0
    roomy = SongCache()
    assert roomy.put(b"/huge", roomy.version(), answer(b"x" * MAX_ENTRY_BYTES)) is False
    assert len(roomy) == 0


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = SongCache(LocalVersion(), ttl=2.0, clock=clock)
    assert cache.put(b"/a", cache.version(), answer(b"a"))
    clock.now += 1.9
    assert cache.get(b"/a") == answer(b"a")
    clock.now += 0.1
    assert cache.get(b"/a") is None
    assert len(cache) == 0 and cache.size_bytes == 0


def test_sqlite_data_version_sees_another_process_commit(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    source = SqliteDataVersion(str(path))
    cache = SongCache(source)
    try:
        assert cache.put(b"/s", cache.version(), answer(b"before"))
        assert cache.get(b"/s") == answer(b"before")
        cache.bump()  # a no-op for the source: the commit itself is the signal
        assert cache.put(b"/s", cache.version(), answer(b"before"))
        script = (
            "import sqlite3, sys\n"
            "with sqlite3.connect(sys.argv[1]) as db:\n"
            "    db.execute(\"INSERT INTO songs VALUES ('from another process')\")\n"
        )
        subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
        assert cache.get(b"/s") is None
    finally:
        source.close()


@pytest.fixture
def redis_key(redis_url: str) -> str:
    key = "mycelix-test:songs:version"
    redis.Redis.from_url(redis_url).delete(key)
    return key


def test_redis_version_polls_and_a_bump_shows_at_once(redis_url: str, redis_key: str) -> None:
    clock = Clock()
    reader = SongCache(RedisVersion.from_url(redis_url, key=redis_key, poll=0.25, clock=clock))
    writer = RedisVersion.from_url(redis_url, key=redis_key)
    assert reader.put(b"/s", reader.version(), answer(b"before"))
    writer.bump()  # another process's write
    assert reader.get(b"/s") == answer(b"before")  # not polled yet
    clock.now += 0.25
    assert reader.get(b"/s") is None
    # This process's own bump shows at once, without waiting for the poll.
    assert reader.put(b"/s", reader.version(), answer(b"again"))
    reader.bump()
    assert reader.get(b"/s") is None
    assert int(redis.Redis.from_url(redis_url).get(redis_key) or 0) == 2


def test_redis_down_answers_nothing_stale() -> None:
    clock = Clock()
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    cache = SongCache(RedisVersion(down, poll=0.25, clock=clock))
    assert cache.put(b"/s", cache.version(), answer(b"x"))
    clock.now += 0.25
    assert cache.get(b"/s") is None


def test_announce_from_a_process_without_the_api(redis_url: str) -> None:
    """`mycelix indexer run` tells the API processes through Redis (the default key)."""
    clock = Clock()
    reader = SongCache(RedisVersion.from_url(redis_url, clock=clock))
    assert reader.put(b"/s", reader.version(), answer(b"x"))
    script = (
        "import sys\n"
        "from mycelix.songs.cache import announce_songs_changed\n"
        "announce_songs_changed(sys.argv[1], 'postgresql')\n"
    )
    subprocess.run([sys.executable, "-c", script, redis_url], check=True, timeout=60)
    clock.now += 1
    assert reader.get(b"/s") is None
    # On SQLite the commit is the signal: nothing is announced.
    before = redis.Redis.from_url(redis_url).get("mycelix:songs:version")
    announce_songs_changed(redis_url, "sqlite")
    announce_songs_changed(None, "postgresql")
    assert redis.Redis.from_url(redis_url).get("mycelix:songs:version") == before


# ------------------------------------------------------------------- the fast path


class SongsApp:
    """A small app with the two song read routes, a sub-route, and writes; it counts the
    requests that reach it, and `during_read` runs inside a read (to race a write)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.title = "first"
        self.during_read: Callable[[], None] | None = None

        async def listing(request: Request) -> Response:
            return await self._read(request, {"songs": [self.title]})

        async def detail(request: Request) -> Response:
            if request.path_params["song_id"] == "missing":
                self.calls.append(request.url.path)
                return JSONResponse({"error": "not found"}, status_code=404)
            if request.path_params["song_id"] == "cookie":
                response = await self._read(request, {"title": self.title})
                response.set_cookie("session", "x")
                return response
            return await self._read(request, {"title": self.title})

        async def audio(request: Request) -> Response:
            return await self._read(request, {"audio": self.title})

        async def edit(request: Request) -> Response:
            self.calls.append(f"{request.method} {request.url.path}")
            body = await request.json()
            if not body.get("title"):
                return JSONResponse({"error": "title required"}, status_code=422)
            self.title = body["title"]
            return JSONResponse({"title": self.title})

        self.app = Starlette(
            routes=[
                Route("/api/songs", listing),
                Route("/api/songs/{song_id}", detail),
                Route("/api/songs/{song_id}", edit, methods=["PATCH"]),
                Route("/api/songs/{song_id}/audio", audio),
                Route("/api/artists/me", edit, methods=["PUT"]),
            ]
        )

    async def _read(self, request: Request, body: dict[str, Any]) -> JSONResponse:
        self.calls.append(request.url.path)
        if self.during_read is not None:
            self.during_read()
        await asyncio.sleep(0)
        return JSONResponse(body)


def fast_client(songs: SongsApp, cache: SongCache, metrics: Metrics | None = None) -> TestClient:
    return TestClient(SongReadFastPath(songs.app, cache, metrics=metrics))


def test_the_fast_path_answers_repeated_reads_from_the_cache() -> None:
    songs, cache, metrics = SongsApp(), SongCache(), Metrics()
    client = fast_client(songs, cache, metrics)
    first = client.get("/api/songs/0x01")
    again = client.get("/api/songs/0x01")
    assert first.json() == again.json() == {"title": "first"}
    assert again.headers["content-type"] == "application/json"
    assert songs.calls == ["/api/songs/0x01"]
    assert client.get("/api/songs", params={"q": "a"}).json() == {"songs": ["first"]}
    assert client.get("/api/songs", params={"q": "b"}).json() == {"songs": ["first"]}
    client.get("/api/songs", params={"q": "a"})
    assert songs.calls == ["/api/songs/0x01", "/api/songs", "/api/songs"]  # keyed by query
    hits = metrics.cache.labels("songs", "hit")._value.get()
    misses = metrics.cache.labels("songs", "miss")._value.get()
    assert (hits, misses) == (2, 3)


def test_a_write_through_the_api_is_read_back_at_once() -> None:
    songs, cache = SongsApp(), SongCache()
    client = fast_client(songs, cache)
    assert client.get("/api/songs/0x01").json() == {"title": "first"}
    assert client.patch("/api/songs/0x01", json={"title": "second"}).status_code == 200
    assert client.get("/api/songs/0x01").json() == {"title": "second"}
    assert client.put("/api/artists/me", json={"title": "third"}).status_code == 200
    assert client.get("/api/songs/0x01").json() == {"title": "third"}
    # A refused write changes nothing, so it keeps the cache.
    assert client.patch("/api/songs/0x01", json={}).status_code == 422
    calls = len(songs.calls)
    assert client.get("/api/songs/0x01").json() == {"title": "third"}
    assert len(songs.calls) == calls


def test_only_successful_song_reads_are_cached() -> None:
    songs, cache = SongsApp(), SongCache()
    client = fast_client(songs, cache)
    for path in ("/api/songs/missing", "/api/songs/cookie", "/api/songs/0x01/audio"):
        client.get(path)
        client.get(path)
    assert songs.calls == [
        "/api/songs/missing",
        "/api/songs/missing",
        "/api/songs/cookie",
        "/api/songs/cookie",
        "/api/songs/0x01/audio",
        "/api/songs/0x01/audio",
    ]
    assert len(cache) == 0


def test_the_fast_path_refuses_an_answer_that_raced_a_write() -> None:
    """A write commits while the read runs: its (possibly older) answer is sent but not kept."""
    songs, cache = SongsApp(), SongCache()
    client = fast_client(songs, cache)
    songs.during_read = cache.bump
    assert client.get("/api/songs/0x01").status_code == 200
    assert len(cache) == 0
    songs.during_read = None
    client.get("/api/songs/0x01")
    client.get("/api/songs/0x01")
    assert songs.calls == ["/api/songs/0x01"] * 2


def test_concurrent_misses_for_one_url_run_the_app_once() -> None:
    songs, cache = SongsApp(), SongCache()
    fast = SongReadFastPath(songs.app, cache)
    release = asyncio.Event()

    async def slow_read() -> None:
        await release.wait()

    async def one(path: str) -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(dict(message))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        await fast(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def scenario() -> list[tuple[int, bytes]]:
        await one("/api/songs/0x02")  # learn the route, so followers can share the answer
        cache.bump()
        songs.calls.clear()
        original = songs._read

        async def gated(request: Request, body: dict[str, Any]) -> JSONResponse:
            await slow_read()
            return await original(request, body)

        songs._read = gated  # type: ignore[method-assign]
        tasks = [asyncio.create_task(one("/api/songs/0x02")) for _ in range(5)]
        await asyncio.sleep(0.05)
        release.set()
        return list(await asyncio.gather(*tasks))

    answers = asyncio.run(scenario())
    assert answers == [(200, b'{"title":"first"}')] * 5
    assert songs.calls == ["/api/songs/0x02"]

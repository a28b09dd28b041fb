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

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mycelix.api.fastpath import SongReadFastPath
from mycelix.catalog.migrate import migrate
from mycelix.ops.metrics import Metrics
from mycelix.songs.cache import MAX_ENTRY_BYTES, CachedResponse, SongCache, dependencies
from mycelix.songs.changes import NoChanges, PostgresChanges, SqliteChanges


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
    version = cache.mark()
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
    started = cache.mark()
    cache.bump()
    assert cache.put(key, started, answer(b"[old]")) is False
    assert cache.get(key) is None
    assert cache.put(key, cache.mark(), answer(b"[new]")) is True
    assert cache.get(key) == answer(b"[new]")


def test_the_size_bound_evicts_the_least_recently_used() -> None:
    body = b"x" * 90
    key_size = len(b"/k0")
    cache = SongCache(max_bytes=3 * (len(body) + key_size))
    v = cache.mark()
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
    v = cache.mark()
    assert cache.put(b"/big", v, answer(b"x" * 100)) is False
    assert len(cache) == 0 and cache.size_bytes == 0
    roomy = SongCache()
    assert roomy.put(b"/huge", roomy.mark(), answer(b"x" * MAX_ENTRY_BYTES)) is False
    assert len(roomy) == 0


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = SongCache(NoChanges(), ttl=2.0, clock=clock)
    assert cache.put(b"/a", cache.mark(), answer(b"a"))
    clock.now += 1.9
    assert cache.get(b"/a") == answer(b"a")
    clock.now += 0.1
    assert cache.get(b"/a") is None
    assert len(cache) == 0 and cache.size_bytes == 0


SONG_A = "0x" + "aa" * 32
SONG_B = "0x" + "bb" * 32
ARTIST = "0x" + "11" * 20
OTHER_ARTIST = "0x" + "22" * 20


def write_in_another_process(path: Path, *statements: str) -> None:
    script = (
        "import sqlite3, sys\n"
        "with sqlite3.connect(sys.argv[1]) as db:\n"
        "    for statement in sys.argv[2:]:\n"
        "        db.execute(statement)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), *statements], check=True, timeout=60)


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A migrated SQLite catalogue with two songs of one artist and one of another."""
    path = tmp_path / "catalog.sqlite3"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO artists (address, name, name_key, bio, created_at) "
            "VALUES (?, ?, ?, '', '2026-01-01')",
            [(ARTIST, "Artist", "artist"), (OTHER_ARTIST, "Other", "other")],
        )
        for song, artist in ((SONG_A, ARTIST), (SONG_B, OTHER_ARTIST)):
            db.execute(
                "INSERT INTO songs (song_id, artist, title, title_key, genre, audio_cid, "
                "patron_only, play_count, created_at) "
                "VALUES (?, ?, 'T', 't', 'ambient', 'bafy', 0, 0, '2026-01-01')",
                (song, artist),
            )
    return path


def detail_deps(song: str, artist: str) -> list[tuple[str, str]]:
    body = orjson.dumps({"song_id": song, "artist": artist, "title": "T"})
    return dependencies("detail", b"", body)


def page_deps(query: bytes, *songs: tuple[str, str]) -> list[tuple[str, str]]:
    items = [{"song_id": s, "artist": a} for s, a in songs]
    return dependencies("list", query, orjson.dumps({"items": items, "next_cursor": None}))


def test_a_commit_forgets_only_what_it_changed(catalogue: Path) -> None:
    """Another process's commits, seen through the change feed as soon as they are visible:
    an edit forgets the song's detail and the pages holding it; a play forgets the song and
    the pages sorted by plays; an analytics insert forgets nothing."""
    feed = SqliteChanges(str(catalogue))
    cache = SongCache(feed)
    entries = {
        b"/a": detail_deps(SONG_A, ARTIST),
        b"/b": detail_deps(SONG_B, OTHER_ARTIST),
        b"/page-b": page_deps(b"sort=newest&genre=jazz", (SONG_B, OTHER_ARTIST)),
        b"/plays-b": page_deps(b"sort=plays&genre=jazz", (SONG_B, OTHER_ARTIST)),
        b"/page-a": page_deps(b"sort=title", (SONG_A, ARTIST)),
    }

    def fill() -> None:
        mark = cache.mark()
        for key, deps in entries.items():
            if cache.get(key) is None:
                assert cache.put(key, mark, answer(key), deps)

    def cached() -> set[bytes]:
        return {key for key in entries if cache.get(key) is not None}

    try:
        fill()
        write_in_another_process(
            catalogue,
            f"INSERT INTO analytics_events (name, properties, song_id, occurred_at) "
            f"VALUES ('play_started', '{{}}', '{SONG_A}', '2026-01-02')",
        )
        assert cached() == set(entries)
        write_in_another_process(
            catalogue, f"UPDATE songs SET play_count = 1 WHERE song_id = '{SONG_A}'"
        )
        assert cached() == {b"/b", b"/page-b"}
        fill()
        write_in_another_process(
            catalogue, f"UPDATE songs SET title = 'New' WHERE song_id = '{SONG_B}'"
        )
        assert cached() == {b"/a"}  # the title orders listings: every page goes
        fill()
        write_in_another_process(
            catalogue,
            f"INSERT INTO splits (song_id, position, recipient, bps, role) "
            f"VALUES ('{SONG_A}', 0, '{ARTIST}', 10000, 0)",
        )
        assert cached() == {b"/b", b"/page-b", b"/plays-b"}
        fill()
        write_in_another_process(
            catalogue, f"UPDATE artists SET name = 'Renamed' WHERE address = '{OTHER_ARTIST}'"
        )
        assert cached() == {b"/a"}
    finally:
        feed.close()


def test_a_read_that_raced_a_change_it_shows_is_not_kept(catalogue: Path) -> None:
    feed = SqliteChanges(str(catalogue))
    cache = SongCache(feed)
    try:
        mark = cache.mark()
        write_in_another_process(
            catalogue, f"UPDATE songs SET play_count = 3 WHERE song_id = '{SONG_A}'"
        )
        assert cache.put(b"/a", mark, answer(b"old a"), detail_deps(SONG_A, ARTIST)) is False
        # A change it does not show: kept.
        assert cache.put(b"/b", mark, answer(b"b"), detail_deps(SONG_B, OTHER_ARTIST))
        assert cache.get(b"/b") == answer(b"b")
    finally:
        feed.close()


def test_a_catalogue_without_the_feed_forgets_everything_on_any_commit(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    feed = SqliteChanges(str(path))
    cache = SongCache(feed)
    try:
        assert cache.put(b"/s", cache.mark(), answer(b"before"), [("song", "0x01")])
        assert cache.get(b"/s") == answer(b"before")
        write_in_another_process(path, "INSERT INTO songs VALUES ('x')")
        assert cache.get(b"/s") is None
    finally:
        feed.close()


def test_postgres_feed_sees_a_change_that_commits_after_a_later_one(pg_database: str) -> None:
    """A sequence numbers PostgreSQL's changes, so an earlier number can commit later: the
    feed still reports it (it re-reads the rows of transactions open at its last poll)."""
    from mycelix.catalog.db import create_engine

    migrate(pg_database)
    engine = create_engine(pg_database)
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    song_a, song_b = "0x" + "a1" * 32, "0x" + "b1" * 32
    with engine.begin() as db:
        db.exec_driver_sql(
            "INSERT INTO artists (address, name, name_key, bio, created_at) "
            f"VALUES ('{ARTIST}', 'A', 'a', '', now()) ON CONFLICT DO NOTHING"
        )
        for song in (song_a, song_b):
            db.exec_driver_sql(
                "INSERT INTO songs (song_id, artist, title, title_key, genre, patron_only, "
                f"play_count, created_at) VALUES ('{song}', '{ARTIST}', 'T', 't', '', false, 0, "
                "now())"
            )
    feed = PostgresChanges(conninfo, poll=0)
    try:
        assert feed.poll() is not None
        slow = engine.connect()
        slow_tx = slow.begin()
        slow.exec_driver_sql(f"UPDATE songs SET play_count = 1 WHERE song_id = '{song_a}'")
        with engine.begin() as db:
            db.exec_driver_sql(f"UPDATE songs SET play_count = 1 WHERE song_id = '{song_b}'")
        seen = feed.poll()
        assert seen is not None and ("song", song_b) in seen and ("song", song_a) not in seen
        slow_tx.commit()
        slow.close()
        later = feed.poll()
        assert later is not None and ("song", song_a) in later and ("song", song_b) not in later
        assert feed.poll() == []
    finally:
        feed.close()
        engine.dispose()


# ------------------------------------------------------------------- the fast path


class SongsApp:
    """A small app with the two song read routes, a sub-route, and writes; it counts the
    requests that reach it, and `during_read` runs inside a read (to race a write)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.title = "first"
        self.during_read: Callable[[], None] | None = None

        async def listing(request: Request) -> Response:
            song = {"song_id": "0x01", "artist": "0xA1", "title": self.title}
            return await self._read(request, {"items": [song], "next_cursor": None})

        async def detail(request: Request) -> Response:
            if request.path_params["song_id"] == "missing":
                self.calls.append(request.url.path)
                return JSONResponse({"error": "not found"}, status_code=404)
            if request.path_params["song_id"] == "cookie":
                response = await self._read(request, self._song(request))
                response.set_cookie("session", "x")
                return response
            return await self._read(request, self._song(request))

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

    def _song(self, request: Request) -> dict[str, Any]:
        return {"song_id": request.path_params["song_id"], "artist": "0xA1", "title": self.title}

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
    assert first.json() == again.json()
    assert first.json()["title"] == "first"
    assert again.headers["content-type"] == "application/json"
    assert songs.calls == ["/api/songs/0x01"]
    assert client.get("/api/songs", params={"q": "a"}).json()["items"][0]["title"] == "first"
    assert client.get("/api/songs", params={"q": "b"}).json()["items"][0]["title"] == "first"
    client.get("/api/songs", params={"q": "a"})
    assert songs.calls == ["/api/songs/0x01", "/api/songs", "/api/songs"]  # keyed by query
    hits = metrics.cache.labels("songs", "hit")._value.get()
    misses = metrics.cache.labels("songs", "miss")._value.get()
    assert (hits, misses) == (2, 3)


def test_a_write_through_the_api_is_read_back_at_once() -> None:
    songs, cache = SongsApp(), SongCache()
    client = fast_client(songs, cache)
    assert client.get("/api/songs/0x01").json()["title"] == "first"
    assert client.patch("/api/songs/0x01", json={"title": "second"}).status_code == 200
    assert client.get("/api/songs/0x01").json()["title"] == "second"
    assert client.put("/api/artists/me", json={"title": "third"}).status_code == 200
    assert client.get("/api/songs/0x01").json()["title"] == "third"
    # A refused write changes nothing, so it keeps the cache.
    assert client.patch("/api/songs/0x01", json={}).status_code == 422
    calls = len(songs.calls)
    assert client.get("/api/songs/0x01").json()["title"] == "third"
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
    body = b'{"song_id":"0x02","artist":"0xA1","title":"first"}'
    assert answers == [(200, body)] * 5
    assert songs.calls == ["/api/songs/0x02"]

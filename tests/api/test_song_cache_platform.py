"""The song response cache inside the real app, on SQLite and on PostgreSQL: an edit is read
back at once, the indexer's commit invalidates, and a second process writing the catalogue
is seen by this one's cache through the catalogue's change feed (SQLite: as soon as the
commit is visible; PostgreSQL: within a poll)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from mycelix.api.app import create_app
from mycelix.api.fastpath import SongReadFastPath
from mycelix.platform import Platform
from mycelix.songs.cache import EXTRAS_KEY, SongCache
from mycelix.songs.changes import PostgresChanges, SqliteChanges
from mycelix.songs.reads import detail_json
from tests.api.helpers_endpoints import (
    Session,
    act,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    describe_song,
    register,
)

from .test_content import index


def cached_song(client: TestClient, platform: Platform, song_id: str) -> dict[str, Any]:
    """GET the song twice; the second answer must come from the cache."""
    cache: SongCache = platform.extras[EXTRAS_KEY]
    first = client.get(f"/api/songs/{song_id}")
    assert first.status_code == 200, first.text
    hits = cache.hits
    again = client.get(f"/api/songs/{song_id}")
    assert again.json() == first.json()
    assert cache.hits == hits + 1, "the second read was not a cache hit"
    body: dict[str, Any] = first.json()
    return body


def test_the_cache_suits_the_catalogue(platform: Platform, client: TestClient) -> None:
    cache = platform.extras[EXTRAS_KEY]
    kind = SqliteChanges if platform.catalog.dialect == "sqlite" else PostgresChanges
    assert isinstance(cache.feed, kind) and cache.ttl is None


def test_an_edit_is_read_back_at_once(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "gift-economy-v1")
    describe_song(platform, auth.address("artist"), "Draft Title", song_id=song)
    assert cached_song(client, platform, song)["title"] == "Draft Title"
    listing = client.get("/api/songs", params={"q": "Draft Title"}).json()
    assert [s["title"] for s in listing["items"]] == ["Draft Title"]
    edited = client.patch(
        f"/api/songs/{song}", json={"title": "Final Title"}, headers=auth["artist"]
    )
    assert edited.status_code == 200, edited.text
    assert cached_song(client, platform, song)["title"] == "Final Title"
    assert client.get("/api/songs", params={"q": "Draft Title"}).json()["items"] == []
    renamed = client.put(
        "/api/artists/me", json={"name": "Renamed Artist", "bio": ""}, headers=auth["artist"]
    )
    assert renamed.status_code == 200, renamed.text
    assert cached_song(client, platform, song)["artist_name"] == "Renamed Artist"


def test_the_indexers_commit_invalidates(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "gift-economy-v1")
    describe_song(platform, auth.address("artist"), "Played Once", song_id=song)
    index(platform)
    assert cached_song(client, platform, song)["play_count"] == 0
    act(client, platform, "stream", {"song_id": song}, auth["listener"])
    index(platform)  # its on_commit is `songs_changed(platform)`, as in `mycelix serve`
    assert cached_song(client, platform, song)["play_count"] == 1


def test_writes_that_change_no_song_keep_the_cache(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    """Analytics events and a payment for another song are committed; the cached detail of
    this song and the page it is on are still served from the cache (and still right)."""
    song = register(client, platform, auth["artist"], "gift-economy-v1")
    other = register(client, platform, auth["artist"], "gift-economy-v1")
    describe_song(platform, auth.address("artist"), f"Kept {song[2:10]}", song_id=song)
    describe_song(platform, auth.address("artist"), f"Paid {other[2:10]}", song_id=other)
    index(platform)
    cache: SongCache = platform.extras[EXTRAS_KEY]
    kept = cached_song(client, platform, song)
    page = client.get("/api/songs", params={"q": f"Kept {song[2:10]}"})
    assert [s["song_id"] for s in page.json()["items"]] == [song]
    events = [{"name": "play_end", "song_id": song}, {"name": "page_view"}]
    assert client.post("/api/analytics/events", json={"events": events}).status_code == 202
    act(client, platform, "stream", {"song_id": other}, auth["listener"])
    index(platform)
    assert cached_song(client, platform, other)["play_count"] == 1  # the paid one moved
    hits = cache.hits
    assert client.get(f"/api/songs/{song}").json() == kept
    assert client.get("/api/songs", params={"q": f"Kept {song[2:10]}"}).json() == page.json()
    assert cache.hits == hits + 2, "an unrelated write dropped cached answers"


SQLITE_WRITER = """
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as db:
    db.execute("UPDATE songs SET play_count = 77 WHERE title = ?", (sys.argv[2],))
"""

POSTGRES_WRITER = """
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1])
with engine.begin() as db:
    db.execute(text("UPDATE songs SET play_count = 77 WHERE title = :t"), {"t": sys.argv[2]})
"""


def run_writer(script: str, *args: str) -> None:
    subprocess.run([sys.executable, "-c", script, *args], check=True, timeout=120)


@contextmanager
def replica(platform: Platform, cache: SongCache) -> Iterator[TestClient]:
    """Another API process on the same catalogue, with its own song cache."""
    own = platform.extras[EXTRAS_KEY]
    platform.extras[EXTRAS_KEY] = cache
    try:
        with TestClient(create_app(platform)) as client:
            yield client
    finally:
        platform.extras[EXTRAS_KEY] = own


def test_another_process_writing_the_catalogue_is_seen(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "gift-economy-v1")
    title = f"Shared {song[2:10]}"
    describe_song(platform, auth.address("artist"), title, song_id=song)
    if platform.catalog.dialect == "sqlite":
        assert cached_song(client, platform, song)["play_count"] == 0
        # No bump in this process: the other process's commit changes `data_version`.
        run_writer(SQLITE_WRITER, str(platform.catalog.url.database), title)
        assert client.get(f"/api/songs/{song}").json()["play_count"] == 77
        return

    # PostgreSQL: two API processes' caches, each polling the change feed.
    conninfo = platform.catalog.url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    poll = 0.05
    with (
        replica(platform, SongCache(PostgresChanges(conninfo, poll=poll))) as a,
        replica(platform, SongCache(PostgresChanges(conninfo, poll=poll))) as b,
    ):
        assert a.get(f"/api/songs/{song}").json()["title"] == title
        assert b.get(f"/api/songs/{song}").json()["title"] == title
        assert b.get(f"/api/songs/{song}").json()["title"] == title  # b's answer is cached
        edited = a.patch(
            f"/api/songs/{song}", json={"title": "Edited on A"}, headers=auth["artist"]
        )
        assert edited.status_code == 200, edited.text
        assert a.get(f"/api/songs/{song}").json()["title"] == "Edited on A"  # at once
        time.sleep(poll * 2)
        assert b.get(f"/api/songs/{song}").json()["title"] == "Edited on A"  # within a poll

        # A third process (the indexer, `mycelix indexer run`) writes, and tells nobody.
        a.get(f"/api/songs/{song}")
        b.get(f"/api/songs/{song}")
        run_writer(
            POSTGRES_WRITER,
            platform.catalog.url.render_as_string(hide_password=False),
            "Edited on A",
        )
        time.sleep(poll * 2)
        assert a.get(f"/api/songs/{song}").json()["play_count"] == 77
        assert b.get(f"/api/songs/{song}").json()["play_count"] == 77


def test_a_detail_miss_skips_routing_and_answers_the_apps_bytes(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    """Once the app has answered one detail, a miss is read straight from the catalogue
    (`SongReadFastPath._direct_detail`): the same bytes and headers the route sends, and
    every request the route would refuse still goes to it and gets its refusal."""
    first = register(client, platform, auth["artist"], "gift-economy-v1")
    describe_song(platform, auth.address("artist"), "Through The App", song_id=first)
    second = register(client, platform, auth["artist"], "gift-economy-v1")
    describe_song(platform, auth.address("artist"), "Read Directly", song_id=second)
    stack = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(stack, SongReadFastPath):
        stack = stack.app
    routed = client.get(f"/api/songs/{first}")  # through the app, unless one came before
    assert routed.status_code == 200 and stack._detail_headers is not None
    before = stack.direct
    direct = client.get(f"/api/songs/{second}?any=query")
    assert direct.status_code == 200 and stack.direct == before + 1
    assert direct.content == detail_json(platform.catalog, second)
    assert direct.headers["content-type"] == routed.headers["content-type"]
    assert direct.headers["content-length"] == str(len(direct.content))
    refused = {
        "/api/songs/0x" + "ab" * 32: 404,  # no such song
        "/api/songs/0xnot-a-song": 422,
        f"/api/songs/{second}?q=%00": 400,  # the app's NUL check
    }
    for path, status in refused.items():
        answer = client.get(path)
        assert answer.status_code == status, (path, answer.text)
        assert "error" in answer.json()
    assert stack.direct == before + 1
    # Cached as the app's answers are: forgotten when the song changes.
    edited = client.patch(
        f"/api/songs/{second}", json={"title": "Edited Directly"}, headers=auth["artist"]
    )
    assert edited.status_code == 200, edited.text
    assert cached_song(client, platform, second)["title"] == "Edited Directly"
    assert stack.direct == before + 2

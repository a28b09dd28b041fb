"""Audio from `mycelix serve` as a real server process (Granian): whole-file ranges go out
through the ASGI path-send extension (the server sends the file; the access check stays in
Python), other ranges in chunks, and every answer is byte-exact: full, partial, suffix, and an
unsatisfiable range refused with 416. In-process, the same route is checked to choose
path-send exactly when the server offers it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mycelix.api.app import create_app
from mycelix.catalog.repositories import NewSong, SongRepository
from mycelix.config import Settings
from mycelix.platform import Platform
from mycelix.sdk import content_salt, salt_for
from mycelix.strategies.ids import strategy_id
from mycelix.streaming.fastpath import AudioFastPath
from tests.support import media as fixtures
from tests.support.anvil import free_port

from .test_replicas import _wait_ready

GIFT = "gift-economy-v1"
PAID = "pay-per-stream-v1"


@dataclass
class Served:
    url: str
    gift: str  # streams to anyone
    paid: str  # needs a paid play
    audio: bytes
    path: Path


def _describe(platform: Platform, cid: str, strategy: str, salt_text: str) -> str:
    # Two songs of one recording by one artist need two salts.
    salt = content_salt(cid) if strategy == GIFT else salt_for(f"{cid} {salt_text}")
    platform.sdk.register_song(salt, strategy)
    song = "0x" + platform.sdk.song_id_of(salt).hex()
    with platform.catalog.write() as session:
        SongRepository(session).create(
            NewSong(
                song_id=song,
                artist=platform.sdk.address,
                title=f"Served {strategy}",
                audio_cid=cid,
                media_type="audio/wav",
                strategy_id=strategy_id(strategy),
                strategy_name=strategy,
            )
        )
    return song


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("served-audio")
    platform = Platform.open(Settings(data_dir=data_dir))
    try:
        wav = fixtures.wav_bytes(seconds=2.0, seed=11)
        stored = asyncio.run(platform.store.put(wav))
        gift = _describe(platform, stored.cid, GIFT, "g")
        paid = _describe(platform, stored.cid, PAID, "p")
        path = platform.store.local_path(stored.cid)
        assert path is not None
    finally:
        platform.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--empty", "--port", str(port)],
        env={**os.environ, "MYCELIX_DATA_DIR": str(data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server, timeout=120)
        yield Served(url, gift, paid, wav, path)
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0, "the server did not stop cleanly on SIGTERM"


def audio(served: Served, song: str, range_header: str | None = None) -> httpx.Response:
    headers = {"Range": range_header} if range_header else {}
    return httpx.get(f"{served.url}/api/songs/{song}/audio", headers=headers, timeout=30)


def test_whole_file_ranges_and_plain_gets_are_exact(served: Served) -> None:
    size = len(served.audio)
    whole = audio(served, served.gift, "bytes=0-")
    assert whole.status_code == 206
    assert whole.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert whole.headers["content-length"] == str(size)
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.content == served.audio
    plain = audio(served, served.gift)
    assert plain.status_code == 200 and plain.content == served.audio
    assert plain.headers["accept-ranges"] == "bytes"


def test_partial_and_suffix_ranges_are_exact(served: Served) -> None:
    size = len(served.audio)
    part = audio(served, served.gift, "bytes=100-4195")
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-4195/{size}"
    assert part.content == served.audio[100:4196]
    suffix = audio(served, served.gift, "bytes=-500")
    assert suffix.status_code == 206
    assert suffix.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert suffix.content == served.audio[-500:]
    tail = audio(served, served.gift, f"bytes={size - 10}-")
    assert tail.status_code == 206 and tail.content == served.audio[-10:]


def test_an_unsatisfiable_range_is_refused(served: Served) -> None:
    size = len(served.audio)
    refused = audio(served, served.gift, f"bytes={size}-")
    assert refused.status_code == 416
    assert refused.headers["content-range"] == f"bytes */{size}"
    assert "not within" in refused.json()["error"]["message"]


def test_the_access_check_still_runs_before_the_file(served: Served) -> None:
    """Path-send is only how the bytes go out: an unpaid listener gets no byte of a paid song."""
    refused = audio(served, served.paid, "bytes=0-")
    assert refused.status_code in (402, 403)
    assert served.audio[:64] not in refused.content


# ------------------------------------------------------------------ in-process: the choice


def _call(
    app: Any,
    path: str,
    range_header: str | None,
    extensions: dict[str, Any],
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> list[Any]:
    sent: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if requested:  # the client stays connected until the response is complete
            await asyncio.Event().wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(dict(message))

    headers = [(b"host", b"testserver")]
    if range_header:
        headers.append((b"range", range_header.encode()))
    headers.extend(extra)
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
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "extensions": extensions,
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return sent


OFFERED = {"http.response.pathsend": {}}


@dataclass
class InProcess:
    platform: Platform
    app: Any
    wav: bytes
    cid: str
    songs: dict[str, str]  # strategy -> song id


@contextmanager
def in_process(tmp_path: Path, seed: int, *strategies: str) -> Iterator[InProcess]:
    """A platform with one stored recording described under each strategy, and its app."""
    platform = Platform.open(Settings(data_dir=tmp_path))
    try:
        wav = fixtures.wav_bytes(seconds=1.0, seed=seed)
        stored = asyncio.run(platform.store.put(wav))
        songs = {s: _describe(platform, stored.cid, s, s[0]) for s in strategies}
        yield InProcess(platform, create_app(platform), wav, stored.cid, songs)
    finally:
        platform.close()


def test_path_send_is_chosen_for_whole_files_when_offered(tmp_path: Path) -> None:
    with in_process(tmp_path, 5, GIFT) as node:
        app, wav = node.app, node.wav
        path = f"/api/songs/{node.songs[GIFT]}/audio"
        whole = _call(app, path, "bytes=0-", OFFERED)
        assert [m["type"] for m in whole] == ["http.response.start", "http.response.pathsend"]
        assert whole[1]["path"] == str(node.platform.store.local_path(node.cid))
        part = _call(app, path, "bytes=10-99", OFFERED)
        assert "http.response.pathsend" not in [m["type"] for m in part]
        assert b"".join(m.get("body", b"") for m in part[1:]) == wav[10:100]
        plain = _call(app, path, "bytes=0-", {})
        assert "http.response.pathsend" not in [m["type"] for m in plain]
        assert b"".join(m.get("body", b"") for m in plain[1:]) == wav


def _fast_path(app: Any) -> AudioFastPath:
    layer = app.middleware_stack or app.build_middleware_stack()
    app.middleware_stack = layer
    while not isinstance(layer, AudioFastPath):
        layer = layer.app
    return layer


def test_a_listener_of_a_free_song_is_answered_before_routing_with_the_same_answer(
    tmp_path: Path,
) -> None:
    """The second whole-file request for a free song, from someone not signed in, skips
    FastAPI (the fast path) and gets exactly the app's answer; anything personal, another
    range, or a song that needs paying goes through the app."""
    with in_process(tmp_path, 6, GIFT, PAID) as node:
        app, wav = node.app, node.wav
        fast = _fast_path(app)
        path = f"/api/songs/{node.songs[GIFT]}/audio"
        first = _call(app, path, "bytes=0-", OFFERED)
        assert fast.served == 0
        again = _call(app, path, "bytes=0-", OFFERED)
        assert fast.served == 1
        assert again == first
        plain = _call(app, path, None, OFFERED)
        assert fast.served == 2 and plain[0]["status"] == 200
        assert [m["type"] for m in plain] == ["http.response.start", "http.response.pathsend"]
        # Through the app: another range, no path-send, a song that needs paying.
        part = _call(app, path, "bytes=1-", OFFERED)
        assert b"".join(m.get("body", b"") for m in part[1:]) == wav[1:]
        _call(app, path, "bytes=0-", {})
        paid = f"/api/songs/{node.songs[PAID]}/audio"
        refused = _call(app, paid, "bytes=0-", OFFERED)
        assert refused[0]["status"] == 403
        refused = _call(app, paid, "bytes=0-", OFFERED)
        assert refused[0]["status"] == 403
        bad = _call(app, "/api/songs/0xZZ/audio", "bytes=0-", OFFERED)
        assert bad[0]["status"] == 422
        assert fast.served == 2


def test_a_signed_in_or_conditional_request_goes_through_the_app(tmp_path: Path) -> None:
    with in_process(tmp_path, 7, GIFT) as node:
        fast = _fast_path(node.app)
        path = f"/api/songs/{node.songs[GIFT]}/audio"
        _call(node.app, path, "bytes=0-", OFFERED)
        for header in (
            (b"authorization", b"Bearer not-a-session"),
            (b"cookie", b"mycelix_session=not-a-session"),
            (b"if-none-match", b'"x"'),
        ):
            answer = _call(node.app, path, "bytes=0-", OFFERED, (header,))
            assert answer[0]["status"] in (200, 206, 304)
        assert fast.served == 0

"""Uploads, songs and streaming: upload real audio, describe and register a song, find it, stream
it with ranges; gated songs stream only to listeners the chain authorises or who just paid; bad
uploads get 4xx and leave nothing behind."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mycelix.catalog.models import Upload
from mycelix.indexer import Indexer
from mycelix.platform import Platform
from mycelix.sdk import content_salt, song_id_for
from mycelix.songs.cache import songs_changed
from tests.support import media as fixtures

from .conftest import sign_in
from .helpers_endpoints import send


def index(platform: Platform) -> None:
    """Run the platform's one indexer (it holds the catalogue's leader lock) up to the head."""
    indexer = platform.extras.get("indexer")
    if indexer is None:
        indexer = platform.extras["indexer"] = Indexer(
            platform.catalog,
            platform.chain.w3,
            platform.manifest,
            platform.metrics,
            on_commit=lambda c: songs_changed(platform) if c.songs_changed else None,
        )
    indexer.run_once()


def upload(
    client: TestClient, headers: dict[str, str], kind: str, data: bytes, name: str = "file"
) -> Any:
    return client.post(
        f"/api/uploads/{kind}", content=data, headers={**headers, "X-Filename": name}
    )


def publish(
    platform: Platform,
    client: TestClient,
    headers: dict[str, str],
    artist: str,
    title: str,
    strategy: str,
    *,
    seed: int,
) -> str:
    audio = upload(
        client, headers, "audio", fixtures.wav_bytes(seconds=2.0, seed=seed), f"{title}.wav"
    )
    assert audio.status_code == 201, audio.text
    cover = upload(
        client, headers, "cover", fixtures.image_bytes("png", 64, 64, seed=seed), "cover.png"
    )
    assert cover.status_code == 201, cover.text
    created = client.post(
        "/api/songs",
        json={
            "title": title,
            "genre": "Ambient",
            "audio_cid": audio.json()["cid"],
            "cover_cid": cover.json()["cid"],
            "strategy": strategy,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["register_tx"]["from"].lower() == artist.lower()
    send(platform, body["register_tx"])
    index(platform)
    return str(body["song"]["song_id"])


def store_files(platform: Platform) -> set[Path]:
    return {p for p in platform.store.root.rglob("*") if p.is_file()}


def test_upload_describe_register_discover_stream(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist = accounts["artist"]
    headers = sign_in(client, artist)
    song_id = publish(
        platform, client, headers, artist.address, "Mycelial Dawn", "gift-economy-v1", seed=1
    )

    detail = client.get(f"/api/songs/{song_id}").json()
    assert detail["registered"] is True
    assert detail["strategy"] == "gift-economy-v1"
    assert detail["genre"] == "ambient"
    assert detail["duration"] == pytest.approx(2.0, abs=0.05)
    assert detail["sample_rate"] == 44_100
    assert (
        len(detail["waveform"]) > 100
        and 0 <= min(detail["waveform"]) <= max(detail["waveform"]) <= 1
    )
    assert detail["splits"] == [] or detail["splits"][0]["recipient"] == artist.address

    found = client.get(
        "/api/songs", params={"q": "mycelial", "strategy": "gift-economy-v1", "genre": "ambient"}
    ).json()
    assert [s["song_id"] for s in found["items"]] == [song_id]

    full = client.get(detail["audio_url"])
    assert full.status_code == 200
    assert full.headers["content-type"].startswith("audio/")
    assert full.headers["accept-ranges"] == "bytes"
    etag = full.headers["etag"]
    part = client.get(detail["audio_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(full.content)}"
    assert part.content == full.content[:100]
    assert client.get(detail["audio_url"], headers={"If-None-Match": etag}).status_code == 304
    bad = client.get(detail["audio_url"], headers={"Range": f"bytes={len(full.content) + 10}-"})
    assert bad.status_code == 416
    assert bad.headers["content-range"] == f"bytes */{len(full.content)}"
    cover = client.get(detail["cover_url"])
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"

    renamed = client.patch(
        f"/api/songs/{song_id}", json={"title": "Mycelial Dusk"}, headers=headers
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Mycelial Dusk"
    other = sign_in(client, accounts["stranger"])
    assert (
        client.patch(f"/api/songs/{song_id}", json={"title": "mine"}, headers=other).status_code
        == 403
    )


def test_a_squatter_cannot_take_an_uploads_id(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist, attacker = accounts["artist"], accounts["stranger"]
    headers = sign_in(client, artist)
    audio = upload(client, headers, "audio", fixtures.wav_bytes(seconds=1.0, seed=77), "a.wav")
    assert audio.status_code == 201, audio.text
    cid = audio.json()["cid"]
    created = client.post(
        "/api/songs",
        json={"title": "Spores", "audio_cid": cid, "strategy": "pay-per-stream-v1"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    song_id = created.json()["song"]["song_id"]
    salt = content_salt(cid)
    assert song_id == "0x" + song_id_for(artist.address, salt).hex()
    # The listed id and the audio's content hash are public; the attacker registers that salt
    # (and tries the artist's described song by id) before the artist does.
    attacker_headers = sign_in(client, attacker)
    theirs = client.post(
        "/api/tx/register_song",
        json={"salt": "0x" + salt.hex(), "strategy": "pay-per-stream-v1"},
        headers=attacker_headers,
    )
    assert theirs.status_code == 200, theirs.text
    send(platform, theirs.json())
    by_id = client.post(
        "/api/tx/register_song",
        json={"song_id": song_id, "strategy": "pay-per-stream-v1"},
        headers=attacker_headers,
    )
    assert by_id.status_code == 403
    assert platform.sdk.song_artist(song_id) is None
    send(platform, created.json()["register_tx"])  # the artist's registration still works
    index(platform)
    detail = client.get(f"/api/songs/{song_id}").json()
    assert detail["registered"] is True
    assert detail["artist"] == artist.address
    listed = client.get("/api/songs", params={"q": "spores"}).json()["items"]
    assert [(s["song_id"], s["artist"]) for s in listed] == [(song_id, artist.address)]


def test_paid_song_streams_after_payment(platform: Platform, client: TestClient, accounts) -> None:
    artist, listener = accounts["artist"], accounts["listener"]
    song_id = publish(
        platform,
        client,
        sign_in(client, artist),
        artist.address,
        "Pay Me",
        "pay-per-stream-v1",
        seed=2,
    )
    url = f"/api/songs/{song_id}/audio"
    anonymous = client.get(url)
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["code"] == "payment_required"
    listener_headers = sign_in(client, listener)
    # Refused twice: the second answer comes from the stream-access cache.
    for _ in range(2):
        refused = client.get(url, headers=listener_headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "payment_required"
    sdk = platform.sdk.as_account(listener)
    sdk.faucet(Decimal(1))
    sdk.stream(song_id)
    index(platform)
    # At once: the indexer's commit drops the cached refusal (it used to stand for 15 s).
    paid = client.get(url, headers=listener_headers)
    assert paid.status_code == 200
    assert "private" in paid.headers["cache-control"]
    assert client.get(url, headers=sign_in(client, accounts["stranger"])).status_code == 403


def test_discovery_pages_with_a_cursor(platform: Platform, client: TestClient, accounts) -> None:
    artist = accounts["producer"]
    headers = sign_in(client, artist)
    ids = {
        publish(
            platform, client, headers, artist.address, f"Page {i}", "gift-economy-v1", seed=10 + i
        )
        for i in range(3)
    }
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"artist": artist.address, "limit": 1, "sort": "title"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/songs", params=params).json()
        seen += [s["song_id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == ids and len(seen) == 3


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("empty", 400, "empty_upload"),
        ("truncated wav", 415, "unsupported_media_type"),
        ("png renamed to mp3", 415, "unsupported_media_type"),
        ("random bytes", 415, "unsupported_media_type"),
        ("declared too large", 413, "payload_too_large"),
        ("streamed too large", 413, "payload_too_large"),
    ],
)
def test_bad_uploads_leave_nothing_behind(
    platform: Platform, client: TestClient, accounts, case: str, status: int, code: str
) -> None:
    headers = sign_in(client, accounts["artist"])
    before_files = store_files(platform)
    with platform.catalog.read() as session:
        before_rows = session.scalar(select(func.count()).select_from(Upload))
    wav = fixtures.wav_bytes(seconds=1.0, seed=99)
    data, extra = {
        "empty": (b"", {}),
        "truncated wav": (wav[: len(wav) // 2], {}),
        "png renamed to mp3": (fixtures.image_bytes("png", 32, 32), {"X-Filename": "song.mp3"}),
        "random bytes": (bytes(range(256)) * 64, {}),
        "declared too large": (wav, {"Content-Length": str(300 * 1024 * 1024)}),
        "streamed too large": (wav, {}),
    }[case]
    original = platform.settings
    if case == "streamed too large":
        # Below the setting's minimum of 1 MiB, so unvalidated: every body is too large.
        platform.settings = original.model_copy(update={"max_upload_mb": 0})
    try:
        if case == "declared too large":
            response = client.post(
                "/api/uploads/audio", content=iter([data]), headers={**headers, **extra}
            )
        else:
            response = client.post("/api/uploads/audio", content=data, headers={**headers, **extra})
    finally:
        platform.settings = original
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    if case == "png renamed to mp3":
        assert "PNG" in response.json()["error"]["message"]
    assert store_files(platform) == before_files
    with platform.catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == before_rows


def test_uploads_need_sign_in(client: TestClient) -> None:
    response = client.post("/api/uploads/audio", content=b"abc")
    assert response.status_code == 401


def test_waveform_is_computed_once_at_upload(
    platform: Platform, client: TestClient, accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    artist = accounts["artist"]
    headers = sign_in(client, artist)
    audio = upload(
        client, headers, "audio", fixtures.wav_bytes(seconds=1.5, seed=77), "once.wav"
    ).json()
    import mycelix.songs.service as service

    def refuse(*_: object) -> None:
        raise AssertionError("peaks were computed again")

    monkeypatch.setattr(service, "compute_peaks", refuse)
    body = {"title": "Once", "audio_cid": audio["cid"], "strategy": "gift-economy-v1"}
    created = client.post("/api/songs", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["song"]["waveform"] == [round(p, 4) for p in audio["peaks"]]

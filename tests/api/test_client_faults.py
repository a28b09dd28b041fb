"""Faults a client found by driving the API: concurrent identical uploads, the upload's `url`,
416 bodies, split roles that went in as names and came out as integers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mycelix.catalog.models import Upload
from mycelix.platform import Platform
from tests.support import media as fixtures

from .conftest import sign_in
from .helpers_endpoints import act
from .test_content import index, publish, store_files


async def _upload_at_once(client: TestClient, headers: dict[str, str], data: bytes, n: int) -> Any:
    transport = httpx.ASGITransport(app=client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await asyncio.gather(
            *(
                http.post(
                    "/api/uploads/audio",
                    content=data,
                    headers={**headers, "X-Filename": "same.wav"},
                )
                for _ in range(n)
            )
        )


def test_identical_uploads_at_once_store_one_file(
    platform: Platform, client: TestClient, accounts
) -> None:
    headers = sign_in(client, accounts["artist"])
    data = fixtures.wav_bytes(seconds=1.0, seed=4242)
    files_before = store_files(platform)
    answers = asyncio.run(_upload_at_once(client, headers, data, 8))
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert len({b["cid"] for b in bodies}) == 1
    # Exactly one upload stored the bytes; the others found them there.
    assert sorted(b["deduplicated"] for b in bodies) == [False] + [True] * 7
    cid = bodies[0]["cid"]
    new_files = store_files(platform) - files_before
    assert {f.name for f in new_files} == {cid, f"{cid}.json"}  # the object and its peaks
    with platform.catalog.read() as session:
        rows = session.scalar(select(func.count()).select_from(Upload).where(Upload.cid == cid))
    assert rows == 1


def test_the_upload_url_answers(client: TestClient, accounts) -> None:
    headers = sign_in(client, accounts["artist"])
    png = fixtures.image_bytes("png", 48, 48, seed=7)
    cover = client.post(
        "/api/uploads/cover", content=png, headers={**headers, "X-Filename": "c.png"}
    )
    assert cover.status_code == 201, cover.text
    served = client.get(cover.json()["url"])
    assert served.status_code == 200
    assert served.content == png and served.headers["content-type"] == "image/png"
    audio = client.post(
        "/api/uploads/audio",
        content=fixtures.wav_bytes(seconds=0.5, seed=8),
        headers={**headers, "X-Filename": "a.wav"},
    )
    assert audio.status_code == 201, audio.text
    # Audio is served through its song once described, never by bare CID.
    assert audio.json()["url"] is None


def test_a_range_not_satisfiable_has_the_error_shape(client: TestClient, accounts) -> None:
    headers = sign_in(client, accounts["artist"])
    png = fixtures.image_bytes("png", 40, 40, seed=9)
    url = client.post("/api/uploads/cover", content=png, headers=headers).json()["url"]
    for method in ("GET", "HEAD"):
        refused = client.request(method, url, headers={"Range": f"bytes={len(png) + 5}-"})
        assert refused.status_code == 416
        assert refused.headers["content-range"] == f"bytes */{len(png)}"
        if method == "GET":
            error = refused.json()["error"]
            assert error["code"] == "range_not_satisfiable"
            assert str(len(png)) in error["message"]


def test_split_roles_come_out_as_they_went_in(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist = accounts["artist"]
    headers = sign_in(client, artist)
    song_id = publish(
        platform, client, headers, artist.address, "Roles", "gift-economy-v1", seed=31
    )
    splits = [
        {"recipient": artist.address, "bps": 6000, "role": "artist"},
        {"recipient": accounts["producer"].address, "bps": 3000, "role": "producer"},
        {"recipient": accounts["stranger"].address, "bps": 1000, "role": "other"},
    ]
    act(client, platform, "configure_splits", {"song_id": song_id, "splits": splits}, headers)
    index(platform)
    detail = client.get(f"/api/songs/{song_id}").json()
    assert [
        {"recipient": s["recipient"], "bps": s["bps"], "role": s["role"]} for s in detail["splits"]
    ] == splits
    assert [s["role_code"] for s in detail["splits"]] == [0, 2, 9]
    economy = client.get(f"/api/songs/{song_id}/economy").json()
    assert [s["role"] for s in economy["splits"]] == ["artist", "producer", "other"]

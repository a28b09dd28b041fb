"""`DELETE /api/songs/{id}`: an artist withdraws a description never registered on chain (what
an upload leaves when the registration is declined); nobody else can, and a registered song
cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from mycelix.catalog.repositories import SongRepository
from mycelix.platform import Platform
from mycelix.strategies.ids import strategy_id

from .helpers_endpoints import (
    Session,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    describe_song,
    ref,
)


def test_the_artist_withdraws_an_unregistered_draft(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    song_id = describe_song(platform, auth.address("artist"), "Declined at the wallet")
    assert client.delete(f"/api/songs/{song_id}", headers=auth["artist"]).status_code == 204
    assert client.get(f"/api/songs/{song_id}").status_code == 404
    listed = client.get("/api/songs", params={"artist": auth.address("artist")}).json()
    assert song_id not in [s["song_id"] for s in listed["items"]]
    again = client.delete(f"/api/songs/{song_id}", headers=auth["artist"])
    assert again.status_code == 404


def test_nobody_else_deletes_an_artists_draft(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    song_id = describe_song(platform, auth.address("artist"), "Not yours")
    refused = client.delete(f"/api/songs/{song_id}", headers=auth["stranger"])
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "only the song's artist can delete it"
    assert client.delete(f"/api/songs/{song_id}").status_code == 401
    assert client.get(f"/api/songs/{song_id}").status_code == 200


def test_a_registered_song_cannot_be_deleted(
    platform: Platform, client: TestClient, auth: Session
) -> None:
    artist = auth.address("artist")
    song_id = describe_song(platform, artist, "On chain already")
    with platform.catalog.write() as session:
        SongRepository(session).register(
            song_id,
            artist=artist,
            strategy_id=strategy_id("pay-per-stream-v1"),
            strategy_name="pay-per-stream-v1",
            ref=ref(datetime.now(UTC)),
        )
    refused = client.delete(f"/api/songs/{song_id}", headers=auth["artist"])
    assert refused.status_code == 409
    assert "registered on chain" in refused.json()["error"]["message"]
    assert client.get(f"/api/songs/{song_id}").json()["registered"]

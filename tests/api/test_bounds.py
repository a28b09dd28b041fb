"""Free text is bounded and plain: an oversized or control-character field is a 422 that names
the field and changes nothing; a NUL in a query parameter is a 400 (SQLite's LIKE stopped at
it, so a search for "x\\0" returned every song)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from mycelix.platform import Platform

from .helpers_endpoints import (
    Session,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    describe_song,
)


def _refused(response: Any, field: str, words: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(f"{field}:"), error["message"]
    assert words in error["message"]


def test_an_artist_profile_is_bounded(client: TestClient, auth: Session) -> None:
    artist = auth["artist"]
    me = auth.address("artist")
    kept = client.put(
        "/api/artists/me", json={"name": "Spore Choir", "bio": "line one\nline two"}, headers=artist
    )
    assert kept.status_code == 200, kept.text
    for body, field, words in [
        ({"name": "n" * 100_000}, "name", "at most 100 characters"),
        ({"name": ""}, "name", "at least 1 character"),
        ({"name": "Spore\x00Choir"}, "name", "control characters"),
        ({"name": "Spore\nChoir"}, "name", "control characters"),
        ({"bio": "b" * 1_000_000}, "bio", "at most 2000 characters"),
        ({"bio": "nul \x00 inside"}, "bio", "control characters"),
    ]:
        _refused(client.put("/api/artists/me", json=body, headers=artist), field, words)
    profile = client.get(f"/api/artists/{me}").json()
    assert (profile["name"], profile["bio"]) == ("Spore Choir", "line one\nline two")


def test_song_fields_are_bounded(platform: Platform, client: TestClient, auth: Session) -> None:
    artist = auth["artist"]
    song_id = describe_song(platform, auth.address("artist"), "Bounded")
    base = {"audio_cid": "bafkreiexampleexampleexample", "strategy": "gift-economy-v1"}
    before = client.get("/api/songs", params={"limit": 100}).json()["items"]
    for body, field, words in [
        ({**base, "title": "t" * 301}, "title", "at most 300 characters"),
        ({**base, "title": ""}, "title", "at least 1 character"),
        ({**base, "title": "a\x00b"}, "title", "control characters"),
        ({**base, "title": "ok", "genre": "g" * 65}, "genre", "at most 64 characters"),
        ({**base, "title": "ok", "genre": "ambient\ttechno"}, "genre", "control characters"),
    ]:
        _refused(client.post("/api/songs", json=body, headers=artist), field, words)
    for body, field, words in [
        ({"title": "t" * 301}, "title", "at most 300 characters"),
        ({"genre": "g" * 65}, "genre", "at most 64 characters"),
        ({"title": "x\x00"}, "title", "control characters"),
    ]:
        _refused(client.patch(f"/api/songs/{song_id}", json=body, headers=artist), field, words)
    assert client.get("/api/songs", params={"limit": 100}).json()["items"] == before
    assert client.get(f"/api/songs/{song_id}").json()["title"] == "Bounded"


def test_analytics_properties_refuse_nul(client: TestClient) -> None:
    response = client.post(
        "/api/analytics/events",
        json={"events": [{"name": "search", "properties": {"term": "a\x00b"}}]},
    )
    _refused(response, "events.0.properties", "NUL")


def test_a_tier_name_is_bounded(client: TestClient, auth: Session) -> None:
    body = {"tiers": [{"name": "t" * 33, "fee": "1000"}]}
    response = client.post("/api/tx/configure_patronage", json=body, headers=auth["artist"])
    _refused(response, "tiers.0.name", "at most 32 characters")


@pytest.mark.parametrize(
    "params",
    [{"q": "\x00"}, {"q": "spore\x00"}, {"genre": "\x00"}, {"q": "x", "cursor": "\x00"}],
)
def test_a_nul_in_a_query_parameter_is_a_400(
    platform: Platform, client: TestClient, auth: Session, params: dict[str, str]
) -> None:
    describe_song(platform, auth.address("producer"), "Needle In A Haystack")
    response = client.get("/api/songs", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith(f"{next(iter(params))}:") or "cursor" in error["message"]
    assert "NUL" in error["message"]


def test_a_search_matches_literally(platform: Platform, client: TestClient, auth: Session) -> None:
    song_id = describe_song(platform, auth.address("producer"), "100% Mycelium_Mix")
    for term, found in [("100%", True), ("m_x", False), ("mycelium_mix", True), ("%", True)]:
        items = client.get("/api/songs", params={"q": term, "limit": 100}).json()["items"]
        assert (song_id in [s["song_id"] for s in items]) is found, term

"""`POST /api/analytics/events` (bounded, allow-listed, counted) and
`GET /api/analytics/summary` (the song's artist only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mycelix.catalog.repositories import AnalyticsRepository
from mycelix.platform import Platform
from tests.api.conftest import assert_invalid
from tests.api.helpers_endpoints import (
    Session,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    describe_song,
    new_song_id,
)


@pytest.fixture(scope="module")
def song(platform: Platform, auth: Session) -> str:
    return describe_song(platform, auth.address("artist"), "Analysed")


def test_a_batch_is_stored_and_counted(
    client: TestClient, platform: Platform, auth: Session, song: str
) -> None:
    counter = platform.metrics.analytics_events.labels("play_start")
    before = counter._value.get()
    events = [
        {"name": "page_view", "properties": {"path": "/discover"}},
        {
            "name": "play_start",
            "song_id": song,
            "session_id": "tab-1",
            "client_time": "2020-01-01T00:00:00Z",
        },
        {"name": "play_start", "song_id": song},
    ]
    response = client.post(
        "/api/analytics/events", json={"events": events}, headers=auth["listener"]
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 3}
    assert counter._value.get() == before + 2
    with platform.catalog.read() as session:
        stored = AnalyticsRepository(session).recent(name="play_start", limit=2)
        assert {e.song_id for e in stored} == {song}
        assert all(e.listener == auth.address("listener").lower() for e in stored)
        backdated = next(e for e in stored if e.session_id == "tab-1")
        assert backdated.properties["client_time"].startswith("2020-01-01")
        assert backdated.occurred_at > datetime.now(UTC) - timedelta(minutes=5)


def test_anonymous_events_and_unknown_songs(client: TestClient, platform: Platform) -> None:
    unknown = new_song_id()
    response = client.post(
        "/api/analytics/events", json={"events": [{"name": "share", "song_id": unknown}]}
    )
    assert response.status_code == 202
    with platform.catalog.read() as session:
        (event,) = AnalyticsRepository(session).recent(name="share", limit=1)
        assert event.song_id is None and event.listener is None
        assert event.properties["unknown_song_id"] == unknown


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": [{"name": "page_view"}] * 101}, "events"),
        ({"events": [{"name": "mine_bitcoin"}]}, "events.0.name"),
        (
            {"events": [{"name": "page_view", "properties": {"blob": "x" * 3_000}}]},
            "events.0.properties",
        ),
        (
            {"events": [{"name": "page_view", "properties": {f"k{i}": i for i in range(33)}}]},
            "events.0.properties",
        ),
        (
            {"events": [{"name": "page_view", "properties": ["not", "an", "object"]}]},
            "events.0.properties",
        ),
        ({"events": [{"name": "page_view", "song_id": "song-1"}]}, "events.0.song_id"),
        ({"events": [{"name": "page_view", "session_id": "has spaces"}]}, "events.0.session_id"),
        ({"events": [{"name": "page_view", "ip": "1.2.3.4"}]}, "events.0.ip"),
        ({"event": {"name": "page_view"}}, "events"),
    ],
)
def test_bad_batches_are_422_and_store_nothing(
    client: TestClient, platform: Platform, body: dict[str, Any], field: str
) -> None:
    with platform.catalog.read() as session:
        before = sum(AnalyticsRepository(session).counts_by_name().values())
    response = client.post("/api/analytics/events", json=body)
    assert_invalid(response, field)
    with platform.catalog.read() as session:
        assert sum(AnalyticsRepository(session).counts_by_name().values()) == before


def test_summary_is_for_the_songs_artist(client: TestClient, auth: Session, song: str) -> None:
    events = [{"name": "play_end", "song_id": song}] * 2 + [{"name": "seek", "song_id": song}]
    assert client.post("/api/analytics/events", json={"events": events}).status_code == 202
    params = {"song_id": song}
    assert client.get("/api/analytics/summary", params=params).status_code == 401
    other = client.get("/api/analytics/summary", params=params, headers=auth["stranger"])
    assert other.status_code == 403
    response = client.get("/api/analytics/summary", params=params, headers=auth["artist"])
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["totals"]["play_end"] == 2 and out["totals"]["seek"] == 1
    today = datetime.now(UTC).date().isoformat()
    assert out["days"][-1]["day"] == today
    assert out["days"][-1]["counts"]["play_end"] == 2
    missing = client.get(
        "/api/analytics/summary", params={"song_id": new_song_id()}, headers=auth["artist"]
    )
    assert missing.status_code == 404
    backwards = client.get(
        "/api/analytics/summary",
        params={"song_id": song, "since": "2025-02-01", "until": "2025-01-01"},
        headers=auth["artist"],
    )
    assert_invalid(backwards, "since")
    old = client.get(
        "/api/analytics/summary",
        params={"song_id": song, "since": "2024-01-01", "until": "2024-02-01"},
        headers=auth["artist"],
    ).json()
    assert old["totals"] == {} and old["days"] == []

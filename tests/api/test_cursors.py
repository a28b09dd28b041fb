"""Forged but well-formed cursors get 400 with the error shape, never a 500: each kind of
cursor (song listings in every sort, payments, plays) with keys no row could have."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mycelix.catalog.repositories import cursor as cursors

SONG = "0x" + "ab" * 32
HUGE = 2**70
YEAR_ONE = "0001-01-01T00:00:00+05:00"  # before datetime.min once moved to UTC
YEAR_MAX = "9999-12-31T23:59:59-05:00"  # after datetime.max once moved to UTC
NOW = "2025-03-01T12:00:00+00:00"

CASES = [
    ("/api/songs", {"sort": "newest"}, "newest", [YEAR_ONE, SONG]),
    ("/api/songs", {"sort": "newest"}, "newest", [YEAR_MAX, SONG]),
    ("/api/songs", {"sort": "newest"}, "newest", ["2025-03-01T12:00:00", SONG]),  # naive
    ("/api/songs", {"sort": "newest"}, "newest", [HUGE, SONG]),
    ("/api/songs", {"sort": "oldest"}, "oldest", [YEAR_ONE, SONG]),
    ("/api/songs", {"sort": "plays"}, "plays", [HUGE, SONG]),
    ("/api/songs", {"sort": "plays"}, "plays", [-HUGE, SONG]),
    ("/api/songs", {"sort": "plays"}, "plays", [True, SONG]),
    ("/api/songs", {"sort": "title"}, "title", ["a\x00b", SONG]),
    ("/api/songs", {"sort": "title"}, "title", [HUGE, SONG]),
    ("/api/songs", {"sort": "title"}, "title", ["a", HUGE]),
    ("/api/payments", {}, "payments", [HUGE, 0]),
    ("/api/payments", {}, "payments", [1, HUGE]),
    ("/api/payments", {}, "payments", [-HUGE, -HUGE]),
    ("/api/payments", {}, "payments", [YEAR_ONE, 0]),
    ("/api/plays", {}, "plays-newest", [YEAR_ONE, 1]),
    ("/api/plays", {}, "plays-newest", [YEAR_MAX, 1]),
    ("/api/plays", {}, "plays-newest", [NOW, HUGE]),
    ("/api/plays", {}, "plays-newest", [HUGE, 1]),
]


@pytest.mark.parametrize(("path", "params", "sort", "key"), CASES)
def test_a_forged_cursor_is_a_400(
    client: TestClient, path: str, params: dict[str, str], sort: str, key: list[object]
) -> None:
    forged = cursors.encode(sort, key)
    response = client.get(path, params={**params, "cursor": forged})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": {"code": "bad_request", "message": "malformed cursor"}}


@pytest.mark.parametrize(
    ("path", "params", "sort", "key"),
    [
        ("/api/songs", {"sort": "newest"}, "newest", [NOW, SONG]),
        ("/api/songs", {"sort": "plays"}, "plays", [2**63 - 1, SONG]),
        ("/api/songs", {"sort": "title"}, "title", ["zzz", SONG]),
        ("/api/payments", {}, "payments", [2**63 - 1, 0]),
        ("/api/plays", {}, "plays-newest", [NOW, 2**63 - 1]),
    ],
)
def test_a_cursor_at_the_edge_of_the_range_still_pages(
    client: TestClient, path: str, params: dict[str, str], sort: str, key: list[object]
) -> None:
    response = client.get(path, params={**params, "cursor": cursors.encode(sort, key)})
    assert response.status_code == 200, response.text
    assert "items" in response.json()


@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/earnings", "since"), ("/api/earnings", "until"), ("/api/plays", "since")],
)
def test_a_time_out_of_range_in_utc_is_a_422_naming_it(
    client: TestClient, path: str, name: str
) -> None:
    response = client.get(path, params={name: YEAR_ONE if name == "since" else YEAR_MAX})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(f"query.{name}:")
    assert "out of range" in error["message"]

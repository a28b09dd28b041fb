"""With the shared state's Redis unreachable, the catalogue stays up (rate limits fail open)
and what needs the shared state — sign-in and sessions — answers 503 with the reason, never a
bare 500. Port 1 on loopback refuses connections at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mycelix.api.app import create_app

from .conftest import open_platform

UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("redis-down")
    platform = open_platform(data_dir, redis_url=UNREACHABLE)
    with TestClient(create_app(platform)) as c:
        yield c
    platform.close()


def test_public_reads_still_answer(client: TestClient) -> None:
    for url in ("/api/strategies", "/api/songs", "/api/network"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)


def test_sign_in_says_the_shared_state_is_unreachable(client: TestClient) -> None:
    response = client.get("/api/auth/nonce")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "shared_state_unavailable"
    assert "Redis" in error["message"]


def test_a_session_token_cannot_be_checked_and_says_why(client: TestClient) -> None:
    response = client.get("/api/auth/me", headers={"Authorization": "Bearer " + "a" * 43})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "shared_state_unavailable"


def test_ready_reports_the_state_check(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 503
    state = response.json()["checks"]["state"]
    assert state["ok"] is False and "Redis" in state["error"]

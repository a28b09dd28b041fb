"""Health, readiness, metrics, the OpenAPI document and the error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import assert_invalid


def test_health_is_cheap_and_ok(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_checks_every_dependency(client: TestClient) -> None:
    body = client.get("/ready").json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "chain", "content", "state", "indexer"}
    assert all(check["ok"] for check in body["checks"].values())
    # No indexer in this process: its lag is read from the catalogue's checkpoint.
    indexer = body["checks"]["indexer"]
    assert indexer["alive"] is None
    assert indexer["lag_blocks"] <= indexer["max_lag_blocks"] == 50


def test_metrics_use_route_templates(client: TestClient) -> None:
    client.get("/api/songs/0x" + "ab" * 32)
    text = client.get("/metrics").text
    assert 'route="/api/songs/{song_id}"' in text
    assert "0x" + "ab" * 32 not in text
    assert "mycelix_http_requests_total" in text


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] == "Mycelix Music API"
    assert "/api/songs" in doc["paths"]
    assert "/api/uploads/{kind}" in doc["paths"]


def test_errors_have_one_shape(client: TestClient) -> None:
    missing = client.get("/no/such/path")
    assert missing.status_code == 404
    assert set(missing.json()["error"]) == {"code", "message"}
    bad = client.get("/api/songs", params={"limit": 0})
    assert_invalid(bad, "query.limit")
    assert "limit" in bad.json()["error"]["message"]
    cursor = client.get("/api/songs", params={"cursor": "not-a-cursor"})
    assert cursor.status_code == 400
    assert cursor.json()["error"]["code"] == "bad_request"


def test_cors_allows_only_configured_origins(platform) -> None:
    from mycelix.api.app import create_app

    with TestClient(create_app(platform, cors_origins=["https://app.example"])) as c:
        allowed = c.options(
            "/api/songs",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = c.options(
            "/api/songs",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in refused.headers
    with TestClient(create_app(platform)) as c:
        plain = c.get("/api/songs", headers={"Origin": "https://app.example"})
        assert "access-control-allow-origin" not in plain.headers

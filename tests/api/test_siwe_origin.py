"""Sign-In with Ethereum checks the message's domain and URI against the deployment's public
origins, never the request's `Host` header: a phishing site that relays a victim's signature
for its own name (and sends its own name as `Host`) gets no session."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from mycelix.auth.service import public_origins
from mycelix.config import Settings
from mycelix.platform import Platform

from .conftest import siwe_message


def _signed(account, nonce: str, **kw: object) -> dict[str, str]:  # type: ignore[no-untyped-def]
    message = siwe_message(account, nonce, **kw)  # type: ignore[arg-type]
    return {
        "message": message,
        "signature": account.sign_message(encode_defunct(text=message)).signature.to_0x_hex(),
    }


def _logins(platform: Platform) -> float:
    value = platform.metrics.registry.get_sample_value(
        "mycelix_siwe_logins_total", {"outcome": "success"}
    )
    return value or 0.0


def test_a_message_for_another_site_is_refused_whatever_the_host_header(
    platform: Platform, client: TestClient, accounts
) -> None:
    victim = accounts["listener"]
    before = _logins(platform)
    nonce = client.get("/api/auth/nonce").json()["nonce"]
    relayed = client.post(
        "/api/auth/verify",
        json=_signed(victim, nonce, domain="evil.example"),
        headers={"Host": "evil.example"},
    )
    assert relayed.status_code == 401
    error = relayed.json()["error"]
    assert error["code"] == "sign_in_failed"
    assert "evil.example" in error["message"] and "testserver" in error["message"]
    assert "set-cookie" not in relayed.headers
    assert "token" not in relayed.json()
    assert _logins(platform) == before


def test_the_uri_must_be_on_the_same_origin(
    platform: Platform, client: TestClient, accounts
) -> None:
    before = _logins(platform)
    body = _signed(accounts["listener"], client.get("/api/auth/nonce").json()["nonce"])
    body_uri = body["message"].replace("URI: http://testserver", "URI: https://evil.example")
    forged = {
        "message": body_uri,
        "signature": accounts["listener"]
        .sign_message(encode_defunct(text=body_uri))
        .signature.to_0x_hex(),
    }
    refused = client.post("/api/auth/verify", json=forged)
    assert refused.status_code == 401
    assert "evil.example" in refused.json()["error"]["message"]
    assert _logins(platform) == before


def test_the_host_header_does_not_matter_for_a_message_for_this_site(
    client: TestClient, accounts
) -> None:
    listener = accounts["listener"]
    nonce = client.get("/api/auth/nonce").json()["nonce"]
    signed_in = client.post(
        "/api/auth/verify", json=_signed(listener, nonce), headers={"Host": "evil.example"}
    )
    assert signed_in.status_code == 200, signed_in.text
    client.cookies.clear()
    token = signed_in.json()["token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"address": listener.address}


@pytest.mark.parametrize(
    ("host", "port", "configured", "expected"),
    [
        ("127.0.0.1", 8000, [], ["http://127.0.0.1:8000", "http://localhost:8000"]),
        ("0.0.0.0", 9000, [], ["http://127.0.0.1:9000", "http://localhost:9000"]),
        ("music.lan", 8080, [], ["http://music.lan:8080"]),
        ("::1", 8000, [], ["http://127.0.0.1:8000", "http://localhost:8000"]),
        (
            "0.0.0.0",
            8000,
            ["https://Music.Example/", "http://10.0.0.2:8000"],
            ["https://music.example", "http://10.0.0.2:8000"],
        ),
    ],
)
def test_public_origins_default_to_where_serve_listens(
    tmp_path: Path, host: str, port: int, configured: list[str], expected: list[str]
) -> None:
    settings = Settings(data_dir=tmp_path, host=host, port=port, public_origins=configured)
    assert public_origins(settings) == expected


def test_public_origins_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MYCELIX_DATA_DIR": str(tmp_path),
            "MYCELIX_PUBLIC_ORIGINS": "https://music.example, https://www.music.example",
        }
    )
    assert public_origins(settings) == ["https://music.example", "https://www.music.example"]


def test_a_public_origin_that_is_not_a_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an http"):
        public_origins(Settings(data_dir=tmp_path, public_origins=["music.example"]))

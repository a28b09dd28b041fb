"""Sign-In with Ethereum: single-use nonces, the domain and chain bound in, sessions."""

from __future__ import annotations

from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from .conftest import sign_in, siwe_message
from .helpers_metrics import Moves, series


def _signed(account, nonce: str, **kw: object) -> dict[str, str]:
    message = siwe_message(account, nonce, **kw)  # type: ignore[arg-type]
    return {
        "message": message,
        "signature": account.sign_message(encode_defunct(text=message)).signature.to_0x_hex(),
    }


def test_sign_in_and_out(client: TestClient, accounts) -> None:
    headers = sign_in(client, accounts["artist"])
    assert client.get("/api/auth/me", headers=headers).json() == {
        "address": accounts["artist"].address
    }
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthenticated"


def test_a_nonce_works_once(client: TestClient, accounts) -> None:
    nonce = client.get("/api/auth/nonce").json()["nonce"]
    body = _signed(accounts["listener"], nonce)
    assert client.post("/api/auth/verify", json=body).status_code == 200
    replay = client.post("/api/auth/verify", json=body)
    assert replay.status_code == 401
    assert "nonce" in replay.json()["error"]["message"]


def test_refusals(client: TestClient, accounts) -> None:
    listener, stranger = accounts["listener"], accounts["stranger"]
    unknown = client.post("/api/auth/verify", json=_signed(listener, "neverissued123"))
    assert unknown.status_code == 401
    domain = client.post(
        "/api/auth/verify",
        json=_signed(
            listener, client.get("/api/auth/nonce").json()["nonce"], domain="evil.example"
        ),
    )
    assert domain.status_code == 401 and "evil.example" in domain.json()["error"]["message"]
    chain = client.post(
        "/api/auth/verify",
        json=_signed(listener, client.get("/api/auth/nonce").json()["nonce"], chain_id=1),
    )
    assert chain.status_code == 401 and "chain" in chain.json()["error"]["message"]
    nonce = client.get("/api/auth/nonce").json()["nonce"]
    body = _signed(listener, nonce)
    body["signature"] = _signed(stranger, nonce)["signature"]
    forged = client.post("/api/auth/verify", json=body)
    assert forged.status_code == 401 and "signature" in forged.json()["error"]["message"]
    garbage = client.post(
        "/api/auth/verify", json={"message": "hello", "signature": "0x" + "00" * 65}
    )
    assert garbage.status_code == 401
    malformed = client.post("/api/auth/verify", json={"message": "hello", "signature": "nope"})
    assert malformed.status_code == 422


def test_sign_in_is_counted(client: TestClient, accounts) -> None:
    """One sign-in issues one nonce and counts one success (read before and after, so what
    earlier tests in the module did cannot satisfy it)."""
    with Moves(client).rise(
        by={
            series("mycelix_siwe_nonces_issued_total"): 1,
            series("mycelix_siwe_logins_total", outcome="success"): 1,
            series("mycelix_siwe_logins_total", outcome="nonce"): 0,
        }
    ):
        sign_in(client, accounts["producer"])
    with Moves(client).rise(by={series("mycelix_siwe_logins_total", outcome="nonce"): 1}):
        refused = client.post("/api/auth/verify", json=_signed(accounts["producer"], "unissued1"))
        assert refused.status_code == 401

"""The dev wallet refuses pages of other sites, keys it does not hold and malformed input, and
a refusal sends nothing (the account's nonce does not move)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from mycelix.platform import Platform

EVIL = {"Origin": "https://evil.example"}


def _nonce(platform: Platform, address: str) -> int:
    return platform.chain.w3.eth.get_transaction_count(address)  # type: ignore[arg-type]


def test_another_site_cannot_send_or_sign(platform: Platform, client: TestClient) -> None:
    dev = platform.chain.dev_accounts[1].address
    before = _nonce(platform, dev)
    sent = client.post(
        "/api/dev-wallet/send", json={"from": dev, "to": dev, "value": "0x1"}, headers=EVIL
    )
    assert sent.status_code == 403
    signed = client.post(
        "/api/dev-wallet/sign", json={"address": dev, "message": "hi"}, headers=EVIL
    )
    assert signed.status_code == 403
    assert client.get("/api/dev-wallet", headers=EVIL).json()["accounts"] == []
    assert _nonce(platform, dev) == before


def test_hostile_input_is_refused_and_sends_nothing(platform: Platform, client: TestClient) -> None:
    dev = platform.chain.dev_accounts[1].address
    before = _nonce(platform, dev)
    stranger = "0x" + "12" * 20
    assert client.post("/api/dev-wallet/send", json={"from": stranger}).status_code == 400
    for body in (
        {"from": dev, "data": "0x" + "zz"},
        {"from": dev, "value": "-1"},
        {"from": dev, "data": "0x" + "00" * 200_000},
        {"from": "not an address"},
    ):
        assert client.post("/api/dev-wallet/send", json=body).status_code == 422, body
    assert (
        client.post(
            "/api/dev-wallet/sign", json={"address": dev, "message": "x" * 10_000}
        ).status_code
        == 422
    )
    assert _nonce(platform, dev) == before


def test_two_pages_sending_at_once_both_land(platform: Platform, client: TestClient) -> None:
    """Two tabs (or a tab and a script) sending from one dev account at the same moment each
    get their own nonce: both transactions are mined, none is refused as a replacement."""
    dev = platform.chain.dev_accounts[2].address
    other = platform.chain.dev_accounts[3].address
    before = _nonce(platform, dev)
    start = threading.Barrier(6)

    def send(i: int) -> str:
        start.wait(timeout=30)
        response = client.post(
            "/api/dev-wallet/send", json={"from": dev, "to": other, "value": hex(i + 1)}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["hash"])

    with ThreadPoolExecutor(6) as pool:
        hashes = list(pool.map(send, range(6)))
    w3 = platform.chain.w3
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=30) for h in hashes]  # type: ignore[arg-type]
    assert all(r["status"] == 1 for r in receipts)
    nonces = sorted(w3.eth.get_transaction(h)["nonce"] for h in hashes)  # type: ignore[arg-type]
    assert nonces == list(range(before, before + 6))

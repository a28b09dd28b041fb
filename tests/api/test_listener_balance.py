"""A listener's router balance through the web's endpoints: `POST /api/tx/deposit` prepares the
top-up a browser wallet sends (after approving the router, as `amount` tells it), and the dev
wallet's `POST /api/dev-wallet/sign-typed` signs the voucher typed data the API hands out
(`eth_signTypedData_v4`), a signature the voucher endpoint accepts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mycelix.chain.units import ONE
from mycelix.platform import Platform
from tests.api.conftest import assert_invalid
from tests.api.helpers_endpoints import (
    Session,
    act,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    prepare,
    register,
    send,
)
from tests.api.test_content import index


def available(client: TestClient, address: str) -> dict[str, str]:
    answer = client.get(f"/api/vouchers/account/{address}")
    assert answer.status_code == 200, answer.text
    data: dict[str, str] = answer.json()
    return data


def test_deposit_needs_sign_in(client: TestClient) -> None:
    answer = client.post("/api/tx/deposit", json={"amount": str(ONE)})
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("amount", ["0", "-1", "1.5", "1e18", "", 5, None, "0x10"])
def test_bad_deposit_amounts_are_422(client: TestClient, auth: Session, amount: object) -> None:
    answer = client.post("/api/tx/deposit", json={"amount": amount}, headers=auth["listener"])
    assert_invalid(answer, "amount")


def test_a_deposit_above_the_wallet_is_refused(client: TestClient, auth: Session) -> None:
    held = client.post("/api/tx/deposit", json={"amount": str(10**30)}, headers=auth["stranger"])
    assert held.status_code == 409, held.text
    assert held.json()["error"]["code"] == "insufficient_balance"


def test_a_deposit_raises_the_balance_exactly(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    headers, who = auth["listener"], auth.address("listener")
    act(client, platform, "faucet", {"amount": str(3 * ONE)}, headers)
    before = available(client, who)
    amount = 3 * ONE // 2
    tx = prepare(client, "deposit", {"amount": str(amount)}, headers)
    assert (tx["action"], tx["amount"], tx["from"]) == ("deposit", str(amount), who)
    assert tx["to"] == platform.manifest.router
    # What wallet.sendPrepared does with `amount`: approve the router first when short.
    check = client.get("/api/tx/approval", params={"amount": tx["amount"]}, headers=headers)
    assert check.json()["needs_approval"] is True
    send(platform, check.json()["approve_tx"])
    send(platform, tx)
    after = available(client, who)
    assert int(after["balance"]) - int(before["balance"]) == amount
    assert int(after["available"]) - int(before["available"]) == amount


def test_dev_wallet_signs_voucher_typed_data_the_api_accepts(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    headers, who = auth["patron"], auth.address("patron")
    song = register(client, platform, auth["artist"])
    index(platform)
    act(client, platform, "faucet", {"amount": str(ONE)}, headers)
    act(client, platform, "approve", {"amount": str(ONE)}, headers)
    act(client, platform, "deposit", {"amount": str(ONE)}, headers)
    account = available(client, who)
    price = client.get(f"/api/songs/{song}/economy").json()["stream_quote"]
    price = str(price.get("wei") if isinstance(price, dict) else price)
    now = int(platform.chain.w3.eth.get_block("latest")["timestamp"])
    voucher = {
        "listener": who,
        "song_id": song,
        "amount": price,
        "nonce": account["next_nonce"],
        "expiry": now + 3_600,
    }
    typed = client.get("/api/vouchers/typed-data", params=voucher).json()
    signed = client.post("/api/dev-wallet/sign-typed", json={"address": who, "typed_data": typed})
    assert signed.status_code == 200, signed.text
    accepted = client.post(
        "/api/vouchers", json={**voucher, "signature": signed.json()["signature"]}, headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    assert int(available(client, who)["available"]) == int(account["available"]) - int(price)

    broken = {**typed, "primaryType": "Nothing"}
    refused = client.post("/api/dev-wallet/sign-typed", json={"address": who, "typed_data": broken})
    assert refused.status_code == 400 and "typed_data" in refused.json()["error"]["message"]
    stranger = client.post(
        "/api/dev-wallet/sign-typed", json={"address": "0x" + "12" * 20, "typed_data": typed}
    )
    assert stranger.status_code == 400

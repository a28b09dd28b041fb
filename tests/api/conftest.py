"""API tests build the very app `mycelix serve` runs, on a fresh data directory (embedded chain,
SQLite by default; `catalog_url` fixtures add PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import siwe
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from mycelix.api.app import create_app
from mycelix.config import Settings
from mycelix.platform import Platform
from tests.catalog import postgres


def siwe_message(
    account: LocalAccount, nonce: str, *, domain: str = "testserver", chain_id: int = 31337
) -> str:
    return siwe.SiweMessage(
        domain=domain,
        address=account.address,
        uri=f"http://{domain}",
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        statement="Sign in to Mycelix Music",
    ).prepare_message()


def sign_in(client: TestClient, account: LocalAccount) -> dict[str, str]:
    """SIWE with a dev account; returns the Authorization header."""
    nonce = client.get("/api/auth/nonce").json()["nonce"]
    message = siwe_message(account, nonce)
    signature = account.sign_message(encode_defunct(text=message)).signature.to_0x_hex()
    response = client.post("/api/auth/verify", json={"message": message, "signature": signature})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def assert_invalid(response: Any, field: str) -> str:
    """A 422 whose message names `field`, the path of the input that failed (`events.0.name`,
    `query.since`, `splits.0.role`) as the error handler writes it (`field: why`), or in
    backquotes in an endpoint's own message; returns the message."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request", error
    named = rf"(^|; |`){re.escape(field)}(: |`)"
    assert re.search(named, error["message"]), f"{field!r} not named in {error['message']!r}"
    return str(error["message"])


def open_platform(data_dir: Path, **settings: object) -> Platform:
    """A platform whose sign-in accepts messages for TestClient's `http://testserver`."""
    settings.setdefault("public_origins", ["http://testserver"])
    return Platform.open(Settings(data_dir=data_dir, **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """A platform per catalogue backend: the API tests run on SQLite and on PostgreSQL."""
    database_url = None
    if request.param == "postgresql":
        admin = request.getfixturevalue("pg_admin_url")
        database_url = postgres.create_database(admin, prefix="mycelix_api")
    p = open_platform(tmp_path_factory.mktemp(f"api-{request.param}"), database_url=database_url)
    yield p
    p.close()
    if database_url:
        postgres.drop_database(admin, database_url)


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture(scope="module")
def accounts(platform: Platform) -> dict[str, LocalAccount]:
    a = platform.chain.dev_accounts
    return {
        "owner": a[0],
        "artist": a[1],
        "listener": a[2],
        "producer": a[3],
        "patron": a[4],
        "stranger": a[5],
    }

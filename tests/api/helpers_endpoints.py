"""Helpers of the endpoint tests (transactions, earnings, strategies, analytics).

The fixtures `platform`, `client` and `accounts` come from tests/api/conftest.py; these
helpers send prepared transactions from the unlocked dev accounts, make song ids, and seed
the catalogue the way the indexer would (repositories only).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi.testclient import TestClient
from web3.types import TxReceipt

from mycelix.catalog.repositories import (
    ChainRef,
    NewSong,
    PaymentEvent,
    PaymentRepository,
    Share,
    SongRepository,
)
from mycelix.catalog.types import normalize_bytes32
from mycelix.platform import Platform
from mycelix.sdk.types import content_salt, song_id_for
from mycelix.storage.cid import cid_of
from mycelix.strategies.ids import strategy_id
from tests.api.conftest import sign_in

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
_blocks = itertools.count(1_000_000)


def new_song_id() -> str:
    return "0x" + secrets.token_hex(32)


def new_salt() -> str:
    return "0x" + secrets.token_hex(32)


def send(platform: Platform, tx: dict[str, Any]) -> TxReceipt:
    """Send a prepared transaction as a browser wallet would (`eth_sendTransaction` with
    `from`, `to`, `data`, `value`), from an unlocked dev account; assert it succeeded."""
    w3 = platform.chain.w3
    params: dict[str, Any] = {
        "from": tx["from"],
        "to": tx["to"],
        "data": tx["data"],
        "value": int(tx["value"], 16),
    }
    tx_hash = w3.eth.send_transaction(params)  # type: ignore[arg-type]
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1, receipt
    return receipt


class Session:
    """Signed-in headers per dev account, one sign-in each (the auth bucket is rate limited)."""

    def __init__(self, client: TestClient, accounts: dict[str, LocalAccount]) -> None:
        self.client = client
        self.accounts = accounts
        self._headers: dict[str, dict[str, str]] = {}

    def __getitem__(self, role: str) -> dict[str, str]:
        if role not in self._headers:
            self._headers[role] = sign_in(self.client, self.accounts[role])
        return self._headers[role]

    def address(self, role: str) -> str:
        return self.accounts[role].address


@pytest.fixture(scope="module", name="auth")
def auth_fixture(client: TestClient, accounts: dict[str, LocalAccount]) -> Session:
    """`auth["artist"]`: the headers of the signed-in dev account of that role."""
    return Session(client, accounts)


def prepare(
    client: TestClient, action: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = client.post(f"/api/tx/{action}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    tx: dict[str, Any] = response.json()
    return tx


def act(
    client: TestClient,
    platform: Platform,
    action: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> dict[str, Any]:
    """Prepare `action` through the API and send it; returns the prepared transaction."""
    tx = prepare(client, action, body, headers)
    send(platform, tx)
    return tx


def register(
    client: TestClient,
    platform: Platform,
    headers: dict[str, str],
    strategy: str = "pay-per-stream-v1",
) -> str:
    """Register a song of the signed-in account under a fresh salt; returns its id."""
    salt = new_salt()
    act(client, platform, "register_song", {"salt": salt, "strategy": strategy}, headers)
    artist = client.get("/api/auth/me", headers=headers).json()["address"]
    return "0x" + song_id_for(artist, salt).hex()


def fund(client: TestClient, platform: Platform, headers: dict[str, str], wei: int) -> None:
    """Faucet FLOW and approve the router for it, through the API."""
    act(client, platform, "faucet", {"amount": str(wei)}, headers)
    act(client, platform, "approve", {"amount": str(wei)}, headers)


# ------------------------------------------------------------- catalogue seeds


def ref(at: datetime, log_index: int = 0) -> ChainRef:
    block = next(_blocks)
    return ChainRef(
        block_number=block,
        block_hash=normalize_bytes32(keccak(text=f"block:{block}")),
        tx_hash=normalize_bytes32(keccak(text=f"tx:{block}:{log_index}")),
        log_index=log_index,
        block_time=at,
    )


def describe_song(
    platform: Platform,
    artist: str,
    title: str,
    *,
    song_id: str | None = None,
    strategy: str = "pay-per-stream-v1",
) -> str:
    """A described song in the catalogue (as `POST /api/songs` makes one: its id is the
    artist's registration salted with the audio's content hash)."""
    audio_cid = cid_of(secrets.token_bytes(16))
    song_id = song_id or "0x" + song_id_for(artist, content_salt(audio_cid)).hex()
    with platform.catalog.write() as session:
        SongRepository(session).create(
            NewSong(
                song_id=song_id,
                artist=artist,
                title=title,
                audio_cid=audio_cid,
                strategy_id=strategy_id(strategy),
                strategy_name=strategy,
            )
        )
    return song_id


def seed_payment(
    platform: Platform,
    song_id: str,
    *,
    payer: str,
    amount: int,
    shares: Sequence[tuple[str, int]],
    fee_bps: int = 100,
    treasury: str,
    at: datetime,
    strategy: str = "pay-per-stream-v1",
    payment_type: int = 0,
) -> None:
    """A payment and its credits as the indexer records them; `shares` are (recipient,
    bps) and are divided by the router's rule."""
    fee = amount * fee_bps // 10_000
    net = amount - fee
    others = [net * bps // 10_000 for _, bps in shares[1:]]
    amounts = [net - sum(others), *others]
    with platform.catalog.write() as session:
        PaymentRepository(session).record(
            PaymentEvent(
                song_id=song_id,
                payer=payer,
                strategy_id=strategy_id(strategy),
                payment_type=payment_type,
                amount=amount,
                fee=fee,
                ref=ref(at),
            ),
            [Share(r, a) for (r, _), a in zip(shares, amounts, strict=True)],
            treasury=treasury,
        )


def day(n: int, hours: int = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hours)

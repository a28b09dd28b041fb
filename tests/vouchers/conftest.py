"""Voucher service tests: the platform and API of tests/api (embedded chain; SQLite and
PostgreSQL), listeners with their own keys and router balances, and a settlement worker driven
step by step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi.testclient import TestClient

from mycelix.chain.units import ONE
from mycelix.chain.vouchers import SignedVoucher, Voucher, sign
from mycelix.platform import Platform
from mycelix.sdk import Mycelix, salt_for
from mycelix.vouchers.settlement import SettlementWorker
from tests.api.conftest import accounts, client, platform, sign_in  # noqa: F401
from tests.api.test_content import index

PRICE = 10**16


@dataclass
class Fan:
    """A listener with a key of their own, FLOW, gas and a router balance."""

    account: LocalAccount
    sdk: Mycelix
    headers: dict[str, str]

    @property
    def address(self) -> str:
        return str(self.account.address)


def make_fan(node: Platform, api: TestClient, name: str, deposit: int = ONE) -> Fan:
    account = Account.from_key(keccak(text=f"voucher service {name}"))
    node.sdk.sender.send_value(account.address, ONE // 10)
    sdk = node.sdk.as_account(account)
    sdk.faucet(deposit or ONE)
    if deposit:
        sdk.balance.deposit(deposit)
    return Fan(account, sdk, sign_in(api, account))


def voucher_for(
    node: Platform,
    fan: Fan,
    song_id: str,
    nonce: int,
    *,
    amount: int = PRICE,
    life: int = 3_600,
) -> SignedVoucher:
    now = int(node.chain.w3.eth.get_block("latest")["timestamp"])
    v = Voucher(fan.address, bytes.fromhex(song_id[2:]), amount, nonce, now + life)
    return sign(fan.account, v, node.manifest.chain_id, node.manifest.router)


def body(signed: SignedVoucher) -> dict[str, object]:
    v = signed.voucher
    return {
        "listener": v.listener,
        "song_id": "0x" + v.song_id.hex(),
        "amount": str(v.amount),
        "nonce": v.nonce,
        "expiry": v.expiry,
        "signature": "0x" + signed.signature.hex(),
    }


def register(node: Platform, artist: Mycelix, name: str, splits: list | None = None) -> str:
    salt = salt_for(f"voucher service {name}")
    artist.register_song(salt, "pay-per-stream-v1")
    sid = artist.song_id_of(salt)
    if splits:
        artist.configure_splits(sid, splits)
    index(node)
    return "0x" + sid.hex()


@pytest.fixture
def worker(platform: Platform) -> Iterator[SettlementWorker]:  # noqa: F811
    """A worker that settles only when a test calls `step`/`recover` (not started)."""
    w = SettlementWorker(platform, batch_size=50, max_age=3_600, resubmit_after=0)
    w.lock.acquire()
    yield w
    w.close()

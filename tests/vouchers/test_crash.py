"""A real crash: `mycelix serve` (anvil, PostgreSQL, Redis) accepts vouchers, is killed (SIGKILL)
before it settles them, and is started again: every voucher settles, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account.messages import encode_defunct

from mycelix.chain.units import ONE
from mycelix.chain.vouchers import Voucher, sign
from mycelix.config import Settings
from mycelix.sdk import connect, salt_for
from mycelix.sdk.events import EventDecoder
from tests.api.conftest import siwe_message
from tests.api.test_replicas import HOST, _wait_ready
from tests.require import require_anvil
from tests.support.anvil import free_port, run_anvil

PRICE = 10**16


@pytest.fixture
def node(tmp_path: Path, pg_database: str, redis_url: str) -> Iterator[tuple[dict[str, str], str]]:
    require_anvil()
    with run_anvil() as rpc:
        env = {
            **os.environ,
            "MYCELIX_DATA_DIR": str(tmp_path),
            "MYCELIX_RPC_URL": rpc,
            "MYCELIX_DATABASE_URL": pg_database,
            "MYCELIX_REDIS_URL": redis_url,
            "MYCELIX_PUBLIC_ORIGINS": "http://mycelix.test",
            # Nothing settles on its own in the first run: a batch needs 128 or an hour.
            "MYCELIX_VOUCHER_BATCH_SIZE": "128",
            "MYCELIX_VOUCHER_BATCH_AGE": "3600",
        }
        deploy = subprocess.run(
            [sys.executable, "-m", "mycelix.cli.main", "deploy"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        yield env, rpc


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--empty", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url, proc)
    return proc, url


def sign_in(url: str, account) -> dict[str, str]:
    nonce = httpx.get(f"{url}/api/auth/nonce", headers=HOST).json()["nonce"]
    message = siwe_message(account, nonce, domain="mycelix.test")
    signature = account.sign_message(encode_defunct(text=message)).signature.to_0x_hex()
    answer = httpx.post(
        f"{url}/api/auth/verify", json={"message": message, "signature": signature}, headers=HOST
    )
    assert answer.status_code == 200, answer.text
    return {**HOST, "Authorization": f"Bearer {answer.json()['token']}"}


def test_killed_before_settlement_every_voucher_settles_once_after_restart(
    node: tuple[dict[str, str], str],
) -> None:
    env, rpc = node
    settings = Settings(data_dir=Path(env["MYCELIX_DATA_DIR"]), rpc_url=rpc)
    with connect(settings) as (sdk, chain):
        artist = sdk.as_account(chain.dev_accounts[1])
        salt = salt_for("crash test song")
        artist.register_song(salt, "pay-per-stream-v1")
        song = artist.song_id_of(salt)
        fans = [sdk.as_account(a) for a in chain.dev_accounts[2:5]]
        for fan in fans:
            fan.faucet(ONE)
            fan.balance.deposit(ONE)
        start_block = chain.w3.eth.block_number

        proc, url = serve(env)
        try:
            now = int(chain.w3.eth.get_block("latest")["timestamp"])
            for fan in fans:
                headers = sign_in(url, fan.sender.account)
                for nonce in range(4):
                    signed = sign(
                        fan.sender.account,
                        Voucher(fan.address, song, PRICE, nonce, now + 3_600),
                        chain.w3.eth.chain_id,
                        sdk.manifest.router,
                    )
                    answer = httpx.post(
                        f"{url}/api/vouchers",
                        headers=headers,
                        json={
                            "listener": fan.address,
                            "song_id": "0x" + song.hex(),
                            "amount": str(PRICE),
                            "nonce": nonce,
                            "expiry": now + 3_600,
                            "signature": "0x" + signed.signature.hex(),
                        },
                    )
                    assert answer.status_code == 202, answer.text
            assert all(fan.balance.amount() == ONE for fan in fans), "settled before the kill"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

        env = {**env, "MYCELIX_VOUCHER_BATCH_AGE": "1"}
        proc, url = serve(env)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                accounts = [
                    httpx.get(f"{url}/api/vouchers/account/{fan.address}", headers=HOST).json()
                    for fan in fans
                ]
                if all(a["unsettled"] == "0" for a in accounts):
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"vouchers still unsettled after the restart: {accounts}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)

        assert all(fan.balance.amount() == ONE - 4 * PRICE for fan in fans)
        decoder = EventDecoder(chain.w3, sdk.manifest)
        settled = Counter(
            (e.args["listener"], e.args["nonce"])
            for e in decoder.iterate(start_block, chain.w3.eth.block_number)
            if e.name == "VoucherSettled"
        )
        assert settled == Counter({(fan.address, n): 1 for fan in fans for n in range(4)})

"""Two API processes on loopback sharing PostgreSQL, Redis and an anvil node behave as one: a
Sign-In with Ethereum nonce used on one is refused on the other, and rate limits are shared."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from eth_account.messages import encode_defunct

from mycelix.chain.connect import dev_signers
from tests.require import require_anvil
from tests.support.anvil import free_port, run_anvil
from tests.support.serve import wait_ready as _wait_ready

from .conftest import siwe_message

HOST = {"Host": "mycelix.test"}  # both replicas sit behind one name, as behind a load balancer


@pytest.fixture
def replicas(tmp_path: Path, pg_database: str, redis_url: str) -> Iterator[tuple[str, str]]:
    require_anvil()
    with run_anvil() as rpc:
        env = {
            **os.environ,
            "MYCELIX_DATA_DIR": str(tmp_path),
            "MYCELIX_RPC_URL": rpc,
            "MYCELIX_DATABASE_URL": pg_database,
            "MYCELIX_REDIS_URL": redis_url,
            "MYCELIX_EMBEDDED_INDEXER": "false",
            "MYCELIX_PUBLIC_ORIGINS": "http://mycelix.test",
        }
        deploy = subprocess.run(
            [sys.executable, "-m", "mycelix.cli.main", "deploy"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        procs: list[subprocess.Popen[bytes]] = []
        urls = []
        try:
            for _ in range(2):
                port = free_port()
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "mycelix.cli.main",
                        "serve",
                        "--empty",
                        "--port",
                        str(port),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                procs.append(proc)
                urls.append(f"http://127.0.0.1:{port}")
            for url, proc in zip(urls, procs, strict=True):
                _wait_ready(url, proc)
            yield urls[0], urls[1]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def test_nonce_used_on_one_replica_is_refused_on_the_other(replicas: tuple[str, str]) -> None:
    first, second = replicas
    account = dev_signers()[2]
    nonce = httpx.get(f"{first}/api/auth/nonce", headers=HOST).json()["nonce"]
    message = siwe_message(account, nonce, domain="mycelix.test")
    body = {
        "message": message,
        "signature": account.sign_message(encode_defunct(text=message)).signature.to_0x_hex(),
    }
    signed_in = httpx.post(f"{second}/api/auth/verify", json=body, headers=HOST)
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    assert (
        httpx.get(
            f"{first}/api/auth/me", headers={**HOST, "Authorization": f"Bearer {token}"}
        ).json()["address"]
        == account.address
    )
    replay = httpx.post(f"{first}/api/auth/verify", json=body, headers=HOST)
    assert replay.status_code == 401
    assert "nonce" in replay.json()["error"]["message"]


def test_rate_limits_are_shared(replicas: tuple[str, str], redis_url: str) -> None:
    first, second = replicas
    redis.Redis.from_url(redis_url).flushdb()
    # Limits count in fixed one-minute windows: start well inside one.
    if (second_of_minute := time.time() % 60) > 45:
        time.sleep(60 - second_of_minute + 0.5)
    statuses = []
    for i in range(70):  # the auth bucket allows 60 per minute per client
        url = first if i % 2 == 0 else second
        statuses.append(httpx.get(f"{url}/api/auth/nonce", headers=HOST).status_code)
        if statuses[-1] == 429:
            break
    assert statuses.count(200) == 60
    assert statuses[-1] == 429
    limited = httpx.get(f"{first}/api/auth/nonce", headers=HOST)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1

"""Hostile input to a real server's /rpc: every bad request gets a JSON-RPC error (never a 500,
never a stall), and none of them changes the chain."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
from eth_account import Account

from mycelix.chain.connect import dev_signers
from mycelix.rpc.handler import MAX_BATCH, MAX_BODY_BYTES

from .conftest import Served


def post(served: Served, body: Any = None, *, data: bytes | str | None = None) -> requests.Response:
    if data is not None:
        return requests.post(
            served.rpc_url, data=data, headers={"Content-Type": "application/json"}, timeout=30
        )
    return requests.post(served.rpc_url, json=body, timeout=30)


def call(method: str, params: Any, request_id: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def chain_state(served: Served) -> tuple[str, str]:
    """Head block and the listener's balance: what a bad request must leave alone."""
    answers = post(
        served,
        [
            call("eth_blockNumber", [], 1),
            call("eth_getBalance", [dev_signers(3)[2].address, "latest"], 2),
        ],
    ).json()
    return answers[0]["result"], answers[1]["result"]


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0" and "result" not in body
    return body["error"]


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        (call("eth_foo", []), -32601, "does not exist"),
        (call("x" * 5000, []), -32600, "method name"),
        (call("eth_sendTransaction", [{}]), -32601, "eth_sendRawTransaction"),
        (call("eth_getBlockByNumber", ["0x" + "f" * 80, False]), -32602, "invalid hex quantity"),
        (call("eth_getBalance", ["0x" + "11" * 20, "0x" + "1" * 17]), -32602, "quantity"),
        (call("eth_getBalance", ["0x1234", "latest"]), -32602, "expected 20 bytes"),
        (call("eth_getBalance", ["0x" + "zz" * 20, "latest"]), -32602, "invalid hex"),
        (call("eth_getBalance", ["0x" + "11" * 20, "0x01"]), -32602, "leading zero"),
        (call("eth_getBalance", [1.5, "latest"]), -32602, "expected a hex string"),
        (call("eth_getBalance", [], 3), -32602, "missing value"),
        (call("eth_getBalance", ["0x" + "11" * 20, "latest", 1]), -32602, "too many"),
        (call("eth_getBalance", {"address": "0x" + "11" * 20}), -32602, "array"),
        (call("eth_call", [{"to": "0x" + "11" * 20, "data": "0x123"}]), -32602, "invalid hex"),
        (call("eth_call", [{"value": "0x1" + "0" * 64}]), -32602, "quantity"),
        (call("eth_call", [{"nonsense": 1}]), -32602, "unknown field"),
        (call("eth_feeHistory", ["0x100000", "latest", []]), -32602, "blockCount"),
        (call("eth_feeHistory", ["0x2", "latest", [50, 10]]), -32602, "ascending"),
        (call("eth_getLogs", [{"topics": [[]] * 5}]), -32602, "at most 4"),
        (call("eth_getLogs", [{"address": ["0x" + "11" * 20] * 1000}]), -32602, "at most"),
        (call("eth_sendRawTransaction", ["0x1234"]), -32602, "decode"),
        (call("eth_sendRawTransaction", ["0x"]), -32602, "empty"),
        ({"id": 1, "method": "eth_chainId"}, -32600, "jsonrpc"),
        ({"jsonrpc": "2.0", "id": {"x": 1}, "method": "eth_chainId"}, -32600, "id"),
        ([1], -32600, "JSON-RPC object"),
        ([], -32600, "empty batch"),
        ("eth_chainId", -32600, "JSON-RPC object"),
    ],
)
def test_bad_requests_get_json_rpc_errors_and_change_nothing(
    served: Served, payload: Any, code: int, message: str
) -> None:
    before = chain_state(served)
    response = post(served, payload)
    body = response.json()
    error = (body[0] if isinstance(body, list) else body)["error"]
    assert response.status_code == 200
    assert error["code"] == code, error
    assert message in error["message"], error
    assert chain_state(served) == before


@pytest.mark.parametrize(
    "body",
    [
        "{bad",
        "\xff\xfe",
        "[" * 100_000,
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [' + "9" * 5000 + "]}",
    ],
    ids=["truncated", "not-utf8", "deeply-nested", "5000-digit-number"],
)
def test_unparseable_bodies_answer_parse_error(served: Served, body: str) -> None:
    error = error_of(post(served, data=body.encode("latin-1")))
    assert error["code"] == -32700, error


def test_a_number_beyond_any_float_is_an_invalid_param(served: Served) -> None:
    body = '{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [1e400, "latest"]}'
    error = error_of(post(served, data=body))
    assert error["code"] == -32602 and "expected a hex string" in error["message"]


def test_oversized_batches_and_bodies_are_refused_whole_and_fast(served: Served) -> None:
    before = chain_state(served)
    started = time.monotonic()
    huge = [call("eth_blockNumber", [], i) for i in range(10_000)]
    error = error_of(post(served, huge))
    assert error["code"] == -32600 and f"limit of {MAX_BATCH}" in error["message"]
    too_big = post(served, data=b'{"pad": "' + b"a" * MAX_BODY_BYTES + b'"}')
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == -32600
    assert time.monotonic() - started < 10
    assert chain_state(served) == before


def test_a_full_batch_answers_every_request_in_order(served: Served) -> None:
    batch = [call("eth_chainId", [], i) for i in range(MAX_BATCH - 2)]
    batch += [call("eth_foo", [], "bad"), {"jsonrpc": "2.0", "method": "eth_chainId"}]
    answers = post(served, batch).json()
    # The notification (no id) gets no answer.
    assert len(answers) == MAX_BATCH - 1
    assert [a["id"] for a in answers] == [*range(MAX_BATCH - 2), "bad"]
    assert {a["result"] for a in answers[:-1]} == {"0x7a69"}
    assert answers[-1]["error"]["code"] == -32601
    only_notifications = post(served, {"jsonrpc": "2.0", "method": "eth_chainId"})
    assert only_notifications.status_code == 204 and only_notifications.content == b""


def test_a_refused_raw_transaction_changes_nothing(served: Served) -> None:
    """A replayed transaction (nonce too low) and one its sender cannot pay for are refused
    with -32000 and leave balances and nonces as they were."""
    listener = dev_signers(10)[9]
    broke = Account.create()  # a fresh key with no ether
    fee = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": 31337}
    first = listener.sign_transaction(
        {"to": broke.address, "value": 1, "gas": 21_000, "nonce": _nonce(served, listener), **fee}
    )
    sent = post(served, call("eth_sendRawTransaction", ["0x" + first.raw_transaction.hex()]))
    assert "result" in sent.json(), sent.text
    before = chain_state(served)
    replay = post(served, call("eth_sendRawTransaction", ["0x" + first.raw_transaction.hex()]))
    assert error_of(replay)["code"] == -32000
    unpaid = broke.sign_transaction(
        {"to": listener.address, "value": 10**18, "gas": 21_000, "nonce": 0, **fee}
    )
    refused = post(served, call("eth_sendRawTransaction", ["0x" + unpaid.raw_transaction.hex()]))
    assert error_of(refused)["code"] == -32000
    assert chain_state(served) == before
    assert _nonce(served, broke) == 0


def _nonce(served: Served, account: Any) -> int:
    answer = post(served, call("eth_getTransactionCount", [account.address, "pending"])).json()
    return int(answer["result"], 16)


def test_the_server_is_still_healthy(served: Served) -> None:
    assert requests.get(f"{served.url}/health", timeout=10).status_code == 200
    assert post(served, call("eth_chainId", [])).json()["result"] == "0x7a69"


def test_a_browser_page_cannot_post_behind_the_users_back(served: Served) -> None:
    """A non-JSON content type (a form or no-cors fetch, which skip the CORS preflight) is
    refused, and a request from a page (Origin header) gets no dev method even on loopback."""
    before = chain_state(served)
    travel = '{"jsonrpc": "2.0", "id": 1, "method": "evm_increaseTime", "params": [86400]}'
    plain = requests.post(
        served.rpc_url, data=travel, headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert plain.status_code == 415
    assert plain.json()["error"]["code"] == -32600
    from_page = requests.post(
        served.rpc_url,
        data=travel,
        headers={"Content-Type": "application/json", "Origin": "https://attacker.example"},
        timeout=10,
    )
    assert error_of(from_page)["code"] == -32601
    assert "loopback" in error_of(from_page)["message"]
    assert chain_state(served) == before
    # Reading is open to any page, after the preflight.
    preflight = requests.options(
        served.rpc_url,
        headers={"Origin": "https://dapp.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    read = requests.post(
        served.rpc_url,
        json=call("eth_chainId", []),
        headers={"Origin": "https://dapp.example"},
        timeout=10,
    )
    assert read.json()["result"] == "0x7a69"
    assert read.headers["Access-Control-Allow-Origin"] == "*"


def test_a_heavy_batch_runs_off_the_event_loop(served: Served) -> None:
    """While a batch keeps the chain busy, the rest of the API answers at once."""
    heavy = [call("eth_feeHistory", ["0x400", "latest", [10, 50, 90]], i) for i in range(MAX_BATCH)]
    done: dict[str, float] = {}

    def run() -> None:
        started = time.monotonic()
        answers = post(served, heavy).json()
        assert len(answers) == MAX_BATCH and all("result" in a for a in answers)
        done["batch"] = time.monotonic() - started

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert requests.get(f"{served.url}/health", timeout=10).status_code == 200
    health = time.monotonic() - started
    worker.join(timeout=120)
    assert "batch" in done
    assert health < max(0.5, done["batch"] / 4)

"""The JSON-RPC methods in-process, over a fresh embedded chain: answers a wallet relies on
that the served tests do not reach (empty accounts, pending nonces, unknown blocks, fee history
rewards, the log-range bound)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account

from mycelix.chain.embedded import EmbeddedChain
from mycelix.rpc import handler, methods


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedChain]:
    with EmbeddedChain.open(tmp_path_factory.mktemp("methods")) as opened:
        yield opened


def rpc(chain: EmbeddedChain, method: str, *params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    answer = handler.handle(chain, json.dumps(body).encode())
    assert isinstance(answer, dict)
    return answer


def result(chain: EmbeddedChain, method: str, *params: Any) -> Any:
    answer = rpc(chain, method, *params)
    assert "error" not in answer, answer
    return answer["result"]


def send(chain: EmbeddedChain, sender: Any, tip: int, nonce: int | None = None) -> str:
    listener = chain.accounts[3].address
    if nonce is None:
        nonce = int(result(chain, "eth_getTransactionCount", sender.address, "pending"), 16)
    signed = sender.sign_transaction(
        {
            "to": listener,
            "value": 1,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": tip,
            "nonce": nonce,
            "chainId": 31337,
        }
    )
    return str(result(chain, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex()))


def test_an_account_with_no_ether_can_call_but_not_send(chain: EmbeddedChain) -> None:
    newcomer = Account.create()
    assert result(chain, "eth_getBalance", newcomer.address, "latest") == "0x0"
    # Reading costs nothing: the call is lent its gas money (as on geth and anvil).
    assert result(chain, "eth_call", {"from": newcomer.address, "to": newcomer.address}) == "0x"
    head = result(chain, "eth_blockNumber")
    error = rpc(chain, "eth_sendRawTransaction", _signed_by(newcomer))["error"]
    assert error["code"] == -32000
    assert result(chain, "eth_blockNumber") == head


def _signed_by(account: Any) -> str:
    tx = {
        "to": account.address,
        "value": 0,
        "gas": 21_000,
        "gasPrice": 10**10,
        "nonce": 0,
        "chainId": 31337,
    }
    return "0x" + account.sign_transaction(tx).raw_transaction.hex()


def test_a_nonce_ahead_of_the_account_is_refused(chain: EmbeddedChain) -> None:
    artist = chain.accounts[1].signer()
    nonce = int(result(chain, "eth_getTransactionCount", artist.address, "pending"), 16)
    error = rpc(chain, "eth_sendRawTransaction", _raw(artist, nonce + 5))["error"]
    assert error["code"] == -32000 and "nonce" in error["message"].lower()
    assert int(result(chain, "eth_getTransactionCount", artist.address, "pending"), 16) == nonce


def _raw(account: Any, nonce: int) -> str:
    tx = {"to": account.address, "value": 0, "gas": 21_000, "gasPrice": 10**10, "nonce": nonce}
    return "0x" + account.sign_transaction({**tx, "chainId": 31337}).raw_transaction.hex()


def test_unknown_blocks_and_transactions_are_null(chain: EmbeddedChain) -> None:
    assert result(chain, "eth_getBlockByNumber", "0xffffff", False) is None
    assert result(chain, "eth_getBlockByHash", "0x" + "11" * 32, False) is None
    assert result(chain, "eth_getTransactionByHash", "0x" + "11" * 32) is None
    assert result(chain, "eth_getTransactionReceipt", "0x" + "11" * 32) is None
    error = rpc(chain, "eth_getBalance", chain.accounts[0].address, "0xffffff")["error"]
    assert error == {"code": -32000, "message": "header not found"}


def test_a_mined_transaction_reads_back_by_block_and_by_eip1898_hash(chain: EmbeddedChain) -> None:
    owner = chain.accounts[0].signer()
    tx_hash = send(chain, owner, tip=10**9)
    receipt = result(chain, "eth_getTransactionReceipt", tx_hash)
    block = result(chain, "eth_getBlockByNumber", receipt["blockNumber"], True)
    assert block["hash"] == receipt["blockHash"]
    assert [t["hash"] for t in block["transactions"]] == [tx_hash]
    assert block["transactions"][0]["from"] == owner.address.lower()
    by_hash = result(chain, "eth_getBlockByHash", receipt["blockHash"], False)
    assert by_hash["transactions"] == [tx_hash]
    listener = chain.accounts[3].address
    at_block = result(chain, "eth_getBalance", listener, {"blockHash": receipt["blockHash"]})
    before = result(chain, "eth_getBalance", listener, hex(int(receipt["blockNumber"], 16) - 1))
    assert int(at_block, 16) - int(before, 16) == 1


def test_fee_history_reports_the_tips_paid(chain: EmbeddedChain) -> None:
    producer = chain.accounts[4].signer()
    send(chain, producer, tip=3 * 10**9)
    history = result(chain, "eth_feeHistory", "0x1", "latest", [0, 50, 100])
    assert len(history["baseFeePerGas"]) == 2 and len(history["gasUsedRatio"]) == 1
    assert history["reward"] == [[hex(3 * 10**9)] * 3]
    assert result(chain, "eth_maxPriorityFeePerGas") == hex(10**9)
    pending = result(chain, "eth_getBlockByNumber", "pending", False)
    assert int(result(chain, "eth_gasPrice"), 16) == int(pending["baseFeePerGas"], 16) + 10**9


def test_a_log_query_over_too_many_blocks_is_refused(
    chain: EmbeddedChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(methods, "MAX_LOG_RANGE", 2)
    error = rpc(chain, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})["error"]
    assert error["code"] == -32005 and "narrow the range" in error["message"]
    assert result(chain, "eth_getLogs", {"fromBlock": "0x1", "toBlock": "0x2"}) == []


def test_storage_reads_as_32_bytes(chain: EmbeddedChain) -> None:
    value = result(chain, "eth_getStorageAt", chain.accounts[0].address, "0x0", "latest")
    assert value == "0x" + "00" * 32


def test_a_call_sending_more_than_the_balance_is_refused(chain: EmbeddedChain) -> None:
    newcomer = Account.create()
    for method in ("eth_call", "eth_estimateGas"):
        error = rpc(
            chain, method, {"from": newcomer.address, "to": newcomer.address, "value": "0x1"}
        )
        assert error["error"]["code"] == -32000, error

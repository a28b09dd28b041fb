"""/rpc against anvil: web3.py's plain HTTP provider reads the same deployment, sends the same
locally signed raw transaction, and gets the same receipts, logs, code and errors from the
embedded chain (through a real `mycelix serve`) as from anvil."""

from __future__ import annotations

from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3

from mycelix.chain import artifacts
from mycelix.chain.connect import dev_signers

from .conftest import AnvilDeployment, Served

# Fields one node sends and the other does not (documented in docs/api.md): anvil adds the
# blob gas price to every receipt, geth only to blob transactions' (as /rpc does).
ANVIL_ONLY = {
    "receipt": {"blobGasPrice"},
    "transaction": set(),
    "log": set(),
    "block": set(),
}
# Values that differ because the two chains mined different blocks at different times (other
# tests share the served chain).
TIME_DEPENDENT = {
    "blockHash",
    "blockNumber",
    "blockTimestamp",
    "timestamp",
    "hash",
    "parentHash",
    "mixHash",
}


def raw(url: str, method: str, params: list[Any]) -> dict[str, Any]:
    answer = requests.post(
        url, json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params}, timeout=30
    ).json()
    assert answer["jsonrpc"] == "2.0" and answer["id"] == 7
    return answer


def both(served: Served, anvil: AnvilDeployment) -> tuple[Web3, Web3]:
    return (
        Web3(Web3.HTTPProvider(served.rpc_url, request_kwargs={"timeout": 30})),
        Web3(Web3.HTTPProvider(anvil.url, request_kwargs={"timeout": 30})),
    )


def test_the_same_deployment_reads_the_same(served: Served, anvil: AnvilDeployment) -> None:
    ours, theirs = both(served, anvil)
    assert served.manifest.addresses == anvil.manifest.addresses
    assert ours.eth.chain_id == theirs.eth.chain_id == 31337
    for method in ("eth_chainId", "net_version", "eth_maxPriorityFeePerGas"):
        assert raw(served.rpc_url, method, []) == raw(anvil.url, method, [])
    for name, address in served.manifest.addresses.items():
        code = ours.eth.get_code(address)
        assert code == theirs.eth.get_code(address), name
        assert len(code) > 100, name
    router_abi = artifacts.load("EconomicStrategyRouter").abi
    address = served.manifest.router
    mine, other = (w3.eth.contract(address=address, abi=router_abi) for w3 in (ours, theirs))
    for view in ("fee_bps", "token", "treasury", "owner", "paused", "strategy_count"):
        assert getattr(mine.functions, view)().call() == getattr(other.functions, view)().call()
    assert mine.functions.fee_bps().call() == 100
    assert mine.functions.token().call() == served.manifest.token


def _faucet(w3: Web3, token: str, listener: LocalAccount, amount: int) -> bytes:
    """Sign a FLOW faucet call locally and send it raw; web3 fills gas and fees over RPC."""
    abi = artifacts.load("FlowToken").abi
    flow = w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi)
    tx = flow.functions.faucet(amount).build_transaction(
        {
            "from": listener.address,
            "nonce": w3.eth.get_transaction_count(listener.address, "pending"),
        }
    )
    signed = listener.sign_transaction(tx)
    return bytes(w3.eth.send_raw_transaction(signed.raw_transaction))


def _same(ours: dict[str, Any], theirs: dict[str, Any], kind: str, skip: set[str]) -> None:
    assert set(ours) == set(theirs) - ANVIL_ONLY[kind], kind
    for key in set(ours) - skip - TIME_DEPENDENT:
        assert ours[key] == theirs[key], f"{kind}.{key}: {ours[key]!r} != {theirs[key]!r}"


def test_a_signed_raw_transaction_gets_anvils_receipt_and_logs(
    served: Served, anvil: AnvilDeployment
) -> None:
    listener = dev_signers(8)[7]  # this test's alone, so its nonce is the same on both chains
    ours, theirs = both(served, anvil)
    token = served.manifest.token
    flow_abi = artifacts.load("FlowToken").abi
    before = [
        w3.eth.contract(address=token, abi=flow_abi).functions.balanceOf(listener.address).call()
        for w3 in (ours, theirs)
    ]
    hashes = [_faucet(w3, token, listener, 25 * 10**18) for w3 in (ours, theirs)]
    receipts = [
        w3.eth.wait_for_transaction_receipt(h, timeout=30)
        for w3, h in zip((ours, theirs), hashes, strict=True)
    ]
    for receipt in receipts:
        assert receipt["status"] == 1
        assert len(receipt["logs"]) == 1
    after = [
        w3.eth.contract(address=token, abi=flow_abi).functions.balanceOf(listener.address).call()
        for w3 in (ours, theirs)
    ]
    assert [a - b for a, b in zip(after, before, strict=True)] == [25 * 10**18, 25 * 10**18]

    # The raw JSON, field by field: same keys, same values except hashes and times.
    our_hash, their_hash = ("0x" + h.hex() for h in hashes)
    mine = raw(served.rpc_url, "eth_getTransactionReceipt", [our_hash])["result"]
    other = raw(anvil.url, "eth_getTransactionReceipt", [their_hash])["result"]
    _same(mine, other, "receipt", skip={"logs", "transactionHash", "effectiveGasPrice"})
    assert mine["status"] == "0x1" and mine["to"] == token.lower()
    for our_log, their_log in zip(mine["logs"], other["logs"], strict=True):
        _same(our_log, their_log, "log", skip={"transactionHash"})
    transfer = mine["logs"][0]
    transfer_topic = Web3.keccak(text="Transfer(address,address,uint256)")
    assert transfer["topics"][0] == "0x" + transfer_topic.hex()
    assert transfer["topics"][2] == "0x" + "00" * 12 + listener.address.lower()[2:]
    assert int(transfer["data"], 16) == 25 * 10**18

    mine = raw(served.rpc_url, "eth_getTransactionByHash", [our_hash])["result"]
    other = raw(anvil.url, "eth_getTransactionByHash", [their_hash])["result"]
    _same(
        mine,
        other,
        "transaction",
        # Signatures, fee caps (from each chain's base fee) and the gas limit (each node's own
        # estimate: the embedded chain's is a little more generous than anvil's) differ.
        skip={"r", "s", "v", "yParity", "maxFeePerGas", "gasPrice", "gas"},
    )

    # The logs by query, and the block that holds the transaction.
    for url, receipt in ((served.rpc_url, mine), (anvil.url, other)):
        logs = raw(url, "eth_getLogs", [{"blockHash": receipt["blockHash"], "address": token}])
        assert [entry["topics"] for entry in logs["result"]] == [transfer["topics"]]
    blocks = [
        raw(url, "eth_getBlockByNumber", [r["blockNumber"], False])["result"]
        for url, r in ((served.rpc_url, mine), (anvil.url, other))
    ]
    assert set(blocks[0]) == set(blocks[1]) - ANVIL_ONLY["block"]
    assert blocks[0]["transactions"] == [our_hash]


def test_a_revert_answers_code_3_with_the_reason_like_anvil(
    served: Served, anvil: AnvilDeployment
) -> None:
    attacker = dev_signers(6)[5]
    router_abi = artifacts.load("EconomicStrategyRouter").abi
    router = Web3().eth.contract(address=served.manifest.router, abi=router_abi)
    data = router.encode_abi("set_fee", [500])
    call = {"from": attacker.address, "to": served.manifest.router, "data": data}
    for method, params in (("eth_call", [call, "latest"]), ("eth_estimateGas", [call])):
        mine = raw(served.rpc_url, method, params)["error"]
        other = raw(anvil.url, method, params)["error"]
        assert mine["code"] == other["code"] == 3, method
        assert mine["data"] == other["data"], method
        assert "router: " in mine["message"], mine

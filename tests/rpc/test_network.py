"""GET /api/network tells a wallet what it needs; with an external node (--rpc-url) /rpc is not
served and wallets are pointed at that node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from fastapi.testclient import TestClient

from mycelix.api.app import create_app
from mycelix.chain.embedded import EmbeddedChain
from mycelix.config import Settings
from mycelix.platform import Platform
from mycelix.rpc.handler import handle
from mycelix.strategies import registry
from tests.support.strategies import SHIPPED

from .conftest import AnvilDeployment, Served


def test_network_describes_the_embedded_chain_and_the_deployment(served: Served) -> None:
    network = requests.get(f"{served.url}/api/network", timeout=10).json()
    manifest = served.manifest
    add_chain = {
        "chainId": "0x7a69",
        "chainName": "Mycelix (local)",
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
        "rpcUrls": [served.rpc_url],
    }
    assert network == {
        "chain_id": 31337,
        "chain_id_hex": "0x7a69",
        "chain_name": "Mycelix (local)",
        "rpc_url": served.rpc_url,
        "embedded": True,
        "dev": True,
        "native_currency": add_chain["nativeCurrency"],
        "deployment_block": manifest.deployment_block,
        "router": manifest.router,
        "token": {"address": manifest.token, "symbol": "FLOW", "decimals": 18},
        "cgc": {"address": manifest.addresses["GiftCredits"], "symbol": "CGC", "decimals": 18},
        # Every registered strategy (a scaffolded one too) with its deployed contract.
        "strategies": {s.name: manifest.addresses[s.contract] for s in registry.all_strategies()},
        "wallet_add_ethereum_chain": add_chain,
        "wallet_switch_ethereum_chain": {"chainId": "0x7a69"},
    }
    assert set(network["strategies"]) >= set(SHIPPED)
    # The URL it names is the one that answers.
    answer = requests.post(
        network["rpc_url"],
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        timeout=10,
    ).json()
    assert answer["result"] == network["wallet_add_ethereum_chain"]["chainId"]


@pytest.fixture
def external(anvil: AnvilDeployment) -> Iterator[TestClient]:
    # A node URL with credentials in it, as hosted nodes have: they must not leak.
    parts = urlsplit(anvil.url)
    secret_url = f"{parts.scheme}://operator:s3cret@{parts.netloc}"  # pragma: allowlist secret
    platform = Platform.open(Settings(data_dir=anvil.data_dir, rpc_url=secret_url), deploy=False)
    try:
        with TestClient(create_app(platform)) as client:
            yield client
    finally:
        platform.close()


def test_with_an_external_node_rpc_is_not_served_and_wallets_go_to_the_node(
    external: TestClient, anvil: AnvilDeployment
) -> None:
    response = external.post(
        "/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "external JSON-RPC node" in response.json()["error"]["message"]
    network = external.get("/api/network").json()
    assert network["rpc_url"] == anvil.url
    assert network["wallet_add_ethereum_chain"]["rpcUrls"] == [anvil.url]
    assert network["embedded"] is False and network["dev"] is True
    assert network["router"] == anvil.manifest.router
    assert "s3cret" not in external.get("/api/network").text


def test_time_travel_is_answered_only_to_loopback_clients(tmp_path: Path) -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "evm_increaseTime", "params": [60]}'
    with EmbeddedChain.open(tmp_path) as chain:
        head = chain.w3.eth.get_block("latest")
        refused = handle(chain, body, dev_allowed=False)
        assert refused["error"]["code"] == -32601
        assert "loopback" in refused["error"]["message"]
        assert chain.w3.eth.get_block("latest")["number"] == head["number"]
        assert "result" in handle(chain, body, dev_allowed=True)
        assert chain.w3.eth.get_block("latest")["timestamp"] == head["timestamp"] + 60

"""`POST /rpc` (the embedded chain as standard Ethereum JSON-RPC) and `GET /api/network` (what
a wallet or client needs to reach the chain and the deployment). See docs/api.md."""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from web3 import Web3

from mycelix.api.deps import PlatformDep, loopback_client
from mycelix.api.errors import APIError
from mycelix.platform import Platform
from mycelix.rpc import handler
from mycelix.strategies import registry

router = APIRouter()

CHAIN_NAME = "Mycelix (local)"
NATIVE_CURRENCY = {"name": "Ether", "symbol": "ETH", "decimals": 18}
RPC_CONCURRENCY = 4
"""Worker threads /rpc may hold at once: the chain answers one request at a time anyway, and
the rest wait here, on the event loop, instead of taking the threads other endpoints need."""
# Any page may read the chain, as from any public node; the JSON content type forces a browser
# to ask first (CORS preflight), so a page cannot post to /rpc behind the user's back.
_CORS = {"Access-Control-Allow-Origin": "*"}
_PREFLIGHT = {
    **_CORS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}
_LIMITER_KEY = "rpc_limiter"
_TOKEN_KEY = "rpc_token_info"
_ERC20_METADATA = [
    {
        "name": name,
        "type": "function",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": kind}],
    }
    for name, kind in (("symbol", "string"), ("decimals", "uint8"))
]


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=_CORS,
    )


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes `handler.MAX_BODY_BYTES` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > handler.MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > handler.MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _dev_allowed(request: Request) -> bool:
    """Time travel only for a program on this machine: a loopback client that is no browser
    page (a page on any site the developer visits could otherwise move their chain's clock)."""
    return "origin" not in request.headers and loopback_client(request)


@router.options("/rpc", include_in_schema=False)
def rpc_preflight() -> Response:
    return Response(status_code=204, headers=_PREFLIGHT)


@router.post(
    "/rpc",
    tags=["chain"],
    summary="Ethereum JSON-RPC over the embedded chain",
    responses={
        200: {"description": "JSON-RPC 2.0 response (errors included, as JSON-RPC errors)"},
        404: {"description": "the server uses an external node (--rpc-url)"},
        413: {"description": "body over 1 MiB"},
        415: {"description": "Content-Type is not application/json"},
    },
)
async def rpc(request: Request, p: PlatformDep) -> Response:
    """Standard Ethereum JSON-RPC 2.0 (single requests and batches of up to 100) over the
    embedded chain, for wallets (MetaMask, Rabby, any EIP-1193 wallet) and web3 clients. The
    node holds no keys: send signed transactions with `eth_sendRawTransaction`."""
    chain = p.chain.embedded
    if chain is None:
        raise APIError(
            404,
            "this server uses an external JSON-RPC node (--rpc-url), not the embedded chain; "
            "send JSON-RPC to the node named in GET /api/network (rpc_url)",
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _json(
            handler.error_response(-32600, "invalid content type: send application/json"),
            status=415,
        )
    body = await _read_body(request)
    if body is None:
        return _json(
            handler.error_response(-32600, f"request body exceeds {handler.MAX_BODY_BYTES} bytes"),
            status=413,
        )
    limiter = getattr(request.app.state, _LIMITER_KEY, None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(RPC_CONCURRENCY)
        setattr(request.app.state, _LIMITER_KEY, limiter)
    dev_allowed = _dev_allowed(request)
    answer = await anyio.to_thread.run_sync(
        lambda: handler.handle(chain, body, dev_allowed=dev_allowed), limiter=limiter
    )
    if answer is None:
        return Response(status_code=204, headers=_CORS)
    return _json(answer)


@router.get("/api/network", tags=["chain"], summary="How to reach the chain and the deployment")
def network(request: Request, p: PlatformDep) -> dict[str, Any]:
    """Chain id, name and RPC URL, the native currency, the deployment's addresses, and the
    parameters to pass to `wallet_addEthereumChain` / `wallet_switchEthereumChain`."""
    chain_id = p.manifest.chain_id
    rpc_url = public_rpc_url(p, request)
    name = CHAIN_NAME if p.chain.embedded is not None else f"Mycelix (chain {chain_id})"
    addresses = p.manifest.addresses
    symbol, decimals = _token_info(p)
    add_chain = {
        "chainId": hex(chain_id),
        "chainName": name,
        "nativeCurrency": NATIVE_CURRENCY,
        "rpcUrls": [rpc_url],
    }
    return {
        "chain_id": chain_id,
        "chain_id_hex": hex(chain_id),
        "chain_name": name,
        "rpc_url": rpc_url,
        "embedded": p.chain.embedded is not None,
        "dev": p.chain.is_dev,
        "native_currency": NATIVE_CURRENCY,
        "deployment_block": p.manifest.deployment_block,
        "router": addresses["EconomicStrategyRouter"],
        "token": {"address": addresses["FlowToken"], "symbol": symbol, "decimals": decimals},
        "cgc": {"address": addresses["GiftCredits"], "symbol": "CGC", "decimals": 18},
        "strategies": {
            registry: addresses[contract]
            for contract, registry in registry.contracts().items()
            if contract in addresses
        },
        "wallet_add_ethereum_chain": add_chain,
        "wallet_switch_ethereum_chain": {"chainId": hex(chain_id)},
    }


def public_rpc_url(p: Platform, request: Request) -> str:
    """This server's /rpc as the client reached it, or the external node's URL (without any
    user:password part)."""
    if p.chain.embedded is not None:
        return str(request.url_for("rpc"))
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(p.settings.rpc_url or "")
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _token_info(p: Platform) -> tuple[str, int]:
    cached = p.extras.get(_TOKEN_KEY)
    if cached is None:
        if not p.manifest.external_token:
            cached = ("FLOW", 18)
        else:
            token = p.chain.w3.eth.contract(
                address=Web3.to_checksum_address(p.manifest.token), abi=_ERC20_METADATA
            )
            cached = (token.functions.symbol().call(), token.functions.decimals().call())
        p.extras[_TOKEN_KEY] = cached
    return cached

"""The dev wallet: the server signs for the public dev accounts (the "test … junk" mnemonic that
anvil and the embedded chain fund), so a page without a browser wallet — and every browser test —
sends transactions through the same EIP-1193 calls a real wallet answers
(`static/js/devwallet.js` is the provider; this is its signer).

Only where those keys are worthless anyway: the chain must be a dev chain, and the server must
listen on loopback unless `dev_wallet = true` is set explicitly. A page on another site cannot
drive it: requests carrying an `Origin` must come from one of this server's public origins, and
requests without one (programs, not pages) only from loopback. The keys never leave the server.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from web3.exceptions import ContractLogicError, Web3RPCError

from mycelix.api.deps import PlatformDep, loopback_client
from mycelix.api.errors import APIError
from mycelix.auth.service import LOCAL_HOSTS, public_origins
from mycelix.chain.tx import revert_reason
from mycelix.platform import Platform

router = APIRouter(prefix="/api/dev-wallet", tags=["dev wallet"])

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
HEX = r"^0x[0-9a-fA-F]*$"
# One transaction at a time per account: each takes the pending nonce.
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(address: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(address.lower(), threading.Lock())


def availability(p: Platform) -> str | None:
    """None when the dev wallet may run here, else why not (shown by the page)."""
    if not p.chain.is_dev:
        return "this chain is not a dev chain: connect your own wallet"
    setting = p.settings.dev_wallet
    if setting is False:
        return "the dev wallet is turned off (dev_wallet = false)"
    if setting is None and p.settings.host not in LOCAL_HOSTS - {"0.0.0.0", "::"}:  # nosec B104
        return "the server listens beyond loopback: set dev_wallet = true to offer the dev wallet"
    return None


def _caller_allowed(request: Request, p: Platform) -> bool:
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in public_origins(p.settings)
    return loopback_client(request)


def enabled_wallet(request: Request, p: PlatformDep) -> Platform:
    reason = availability(p)
    if reason is not None:
        raise APIError(404, f"no dev wallet: {reason}")
    if not _caller_allowed(request, p):
        raise APIError(403, "the dev wallet answers only pages of this server and local programs")
    return p


WalletPlatform = Annotated[Platform, Depends(enabled_wallet)]


def _account(p: Platform, address: str) -> LocalAccount:
    for account in p.chain.dev_accounts:
        if account.address.lower() == address.lower():
            return account
    raise APIError(400, f"{address} is not one of the dev accounts")


class DevAccount(BaseModel):
    address: str
    label: str


class DevWalletOut(BaseModel):
    enabled: bool
    reason: str | None = None
    chain_id: int
    accounts: list[DevAccount]


class SendIn(BaseModel):
    from_: str = Field(alias="from", pattern=ADDRESS)
    to: str | None = Field(default=None, pattern=ADDRESS)
    data: str = Field(default="0x", pattern=HEX, max_length=262_144)
    value: str = Field(default="0x0", pattern=HEX, max_length=66)
    gas: str | None = Field(default=None, pattern=HEX, max_length=18)


class SendOut(BaseModel):
    hash: str


class SignIn(BaseModel):
    address: str = Field(pattern=ADDRESS)
    message: str = Field(max_length=8192, description="UTF-8 text, or 0x-hex bytes")


class SignOut(BaseModel):
    signature: str


class SignTypedIn(BaseModel):
    address: str = Field(pattern=ADDRESS)
    typed_data: dict[str, Any] = Field(
        description="EIP-712 typed data as `eth_signTypedData_v4` takes it: types (with "
        "EIP712Domain), primaryType, domain, message."
    )


@router.get("", summary="Whether the dev wallet is offered here, and its accounts")
def describe(request: Request, p: PlatformDep) -> DevWalletOut:
    """Its accounts (addresses only), or why it is off on this server."""
    reason = availability(p)
    if reason is None and not _caller_allowed(request, p):
        reason = "not offered to pages of other sites"
    accounts = [] if reason else p.chain.dev_accounts
    return DevWalletOut(
        enabled=reason is None,
        reason=reason,
        chain_id=p.manifest.chain_id,
        accounts=[
            DevAccount(address=a.address, label=f"Dev account {i}") for i, a in enumerate(accounts)
        ],
    )


@router.post("/send", summary="Sign and send a transaction from a dev account")
def send(body: SendIn, p: WalletPlatform) -> SendOut:
    """`eth_sendTransaction` for the dev wallet: estimated, signed with the dev key and sent
    raw. A transaction that would revert is refused with the contract's reason (400)."""
    account = _account(p, body.from_)
    w3 = p.chain.w3
    tx: dict[str, Any] = {
        "from": account.address,
        "data": body.data,
        "value": int(body.value, 16),
        "chainId": p.manifest.chain_id,
    }
    if body.to:
        tx["to"] = w3.to_checksum_address(body.to)
    with _lock(account.address):
        try:
            tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
            tx["gas"] = int(body.gas, 16) if body.gas else w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
            fee = w3.eth.gas_price
            tx["maxFeePerGas"] = fee * 2
            tx["maxPriorityFeePerGas"] = min(fee, 10**9)
            signed = account.sign_transaction(tx)
            tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        except (ContractLogicError, Web3RPCError) as exc:
            raise APIError(400, f"transaction refused: {revert_reason(exc)}") from exc
    return SendOut(hash="0x" + tx_hash.hex().removeprefix("0x"))


@router.post("/sign", summary="personal_sign with a dev account")
def sign(body: SignIn, p: WalletPlatform) -> SignOut:
    """EIP-191 signature of `message` (Sign-In with Ethereum uses this)."""
    account = _account(p, body.address)
    if body.message.startswith("0x"):
        try:
            message = encode_defunct(hexstr=body.message)
        except ValueError as exc:
            raise APIError(400, "message: not valid hex") from exc
    else:
        message = encode_defunct(text=body.message)
    signed = account.sign_message(message)
    return SignOut(signature="0x" + signed.signature.hex().removeprefix("0x"))


@router.post("/sign-typed", summary="eth_signTypedData_v4 with a dev account")
def sign_typed(body: SignTypedIn, p: WalletPlatform) -> SignOut:
    """EIP-712 signature of `typed_data` (play vouchers use this). Typed data that does not
    encode (a missing type, a value that does not fit its type) is refused (400)."""
    account = _account(p, body.address)
    if len(repr(body.typed_data)) > 16_384:
        raise APIError(400, "typed_data: too large")
    try:
        signable = encode_typed_data(full_message=body.typed_data)
    except Exception as exc:  # eth_account raises many kinds (KeyError, ValueError, TypeError…)
        raise APIError(400, f"typed_data: cannot be encoded ({exc})") from exc
    signed = account.sign_message(signable)
    return SignOut(signature="0x" + signed.signature.hex().removeprefix("0x"))

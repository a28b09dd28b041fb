"""Accepting a signed play voucher as the proof of payment for a gated stream.

A voucher is accepted (queued) only if the router will settle it: signed by its listener for this
chain and router, the listener signed in as themself, a registered song whose strategy charges a
stream no more than the voucher offers, a nonce neither used on chain nor queued here, an expiry
that leaves the settlement worker time but not past the router's withdrawal notice, no withdrawal
pending, and a balance that covers this voucher on top of every one still unsettled. Then the
listener may stream the song at once (`played_since`), before the voucher settles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from web3 import Web3

from mycelix.chain import vouchers as chain_vouchers
from mycelix.chain.errors import ContractRevert
from mycelix.chain.units import PaymentType
from mycelix.errors import Conflict, Forbidden, InvalidRequest, Missing
from mycelix.platform import Platform

from .repository import DuplicateVoucher, VoucherIn, VoucherRepository

# The worker needs time to settle; the balance must not leave before it has. The router's
# withdrawal notice is one day, so a voucher may live at most that long.
MIN_LIFETIME = 10 * 60
MAX_LIFETIME = 24 * 3_600
MAX_NONCE = 2**63 - 1  # stored as BIGINT
MAX_EXPIRY = 2**63 - 1  # stored as BIGINT
STREAM_AUTH_KEY = "stream_auth"  # mycelix.streaming.access cache key # pragma: allowlist secret


@dataclass(frozen=True)
class VoucherSubmission:
    listener: str
    song_id: str
    amount: int
    nonce: int
    expiry: int
    signature: str


@dataclass(frozen=True)
class Accepted:
    listener: str
    nonce: int
    song_id: str
    amount: int
    status: str


@dataclass(frozen=True)
class ListenerAccount:
    listener: str
    balance: int
    unsettled: int
    withdrawal_unlocks_at: int
    next_nonce: int

    @property
    def available(self) -> int:
        return max(self.balance - self.unsettled, 0)


def _router(p: Platform) -> Any:
    return p.sdk.router


def account(p: Platform, listener: str) -> ListenerAccount:
    """A listener's router balance, what their unsettled vouchers may still take of it, and
    the nonce their next voucher should carry."""
    who = Web3.to_checksum_address(listener)
    router = _router(p)
    balance = int(router.functions.balance_of(who).call())
    unlocks = int(router.functions.withdrawal_unlocks_at(who).call())
    on_chain = int(router.functions.next_voucher_nonce(who).call())
    with p.catalog.read() as session:
        repo = VoucherRepository(session)
        unsettled = repo.unsettled_total(who)
        highest = repo.highest_nonce(who)
    next_nonce = max(on_chain, 0 if highest is None else highest + 1)
    return ListenerAccount(who, balance, unsettled, unlocks, next_nonce)


def typed_data(
    p: Platform, listener: str, song_id: str, amount: int, nonce: int, expiry: int
) -> dict[str, Any]:
    """The EIP-712 typed data a wallet signs (`eth_signTypedData_v4`) for this voucher."""
    voucher = chain_vouchers.Voucher(
        Web3.to_checksum_address(listener), bytes.fromhex(song_id[2:]), amount, nonce, expiry
    )
    data = chain_vouchers.typed_data(voucher, p.manifest.chain_id, p.manifest.router)
    data["message"]["song_id"] = song_id
    data["message"] = {k: str(v) if isinstance(v, int) else v for k, v in data["message"].items()}
    return data


def submit(p: Platform, signed_in: str, v: VoucherSubmission) -> Accepted:
    listener = Web3.to_checksum_address(v.listener)
    if listener != Web3.to_checksum_address(signed_in):
        raise Forbidden("a voucher is accepted from its listener only: sign in as them")
    signature = _signature(v.signature)
    if not 0 <= v.nonce <= MAX_NONCE:
        raise InvalidRequest(f"nonce must be 0 to {MAX_NONCE}")
    song = bytes.fromhex(v.song_id[2:])
    voucher = chain_vouchers.Voucher(listener, song, v.amount, v.nonce, v.expiry)
    signed = chain_vouchers.SignedVoucher(voucher, signature)
    try:
        recovered = chain_vouchers.signer(signed, p.manifest.chain_id, p.manifest.router)
    except Exception:  # not a point on the curve, and the like: not their signature either
        recovered = None
    if recovered != listener:
        raise InvalidRequest(
            "the signature is not the listener's for this chain and router", "bad_signature"
        )
    router = _router(p)
    now = int(p.chain.w3.eth.get_block("latest")["timestamp"])
    if v.expiry < now + MIN_LIFETIME:
        raise InvalidRequest(f"the voucher must stay valid at least {MIN_LIFETIME} s")
    if v.expiry > now + MAX_LIFETIME:
        raise InvalidRequest(f"the voucher may stay valid at most {MAX_LIFETIME} s")
    try:
        price = int(router.functions.quote(song, listener, int(PaymentType.STREAM), 0).call())
    except Exception as exc:
        reason = exc.reason if isinstance(exc, ContractRevert) else str(exc)
        raise Missing(f"song {v.song_id} takes no stream payment: {reason}") from exc
    if v.amount < price:
        raise InvalidRequest(
            f"a play of this song costs {price} wei; the voucher offers {v.amount}"
        )
    if bool(router.functions.voucher_nonce_used(listener, v.nonce).call()):
        raise Conflict(f"nonce {v.nonce} was used already", "nonce_used")
    if int(router.functions.withdrawal_unlocks_at(listener).call()):
        raise Conflict("this balance is being withdrawn: no new vouchers", "withdrawal_pending")
    balance = int(router.functions.balance_of(listener).call())
    with p.catalog.write() as session:
        repo = VoucherRepository(session)
        repo.lock_listener(listener)
        unsettled = repo.unsettled_total(listener)
        if balance < unsettled + v.amount:
            raise Conflict(
                f"the balance ({balance} wei) does not cover this voucher on top of "
                f"{unsettled} wei of unsettled ones: deposit more",
                "balance_too_low",
            )
        try:
            repo.add(
                VoucherIn(listener, v.nonce, v.song_id, v.amount, v.expiry, "0x" + signature.hex())
            )
        except DuplicateVoucher as exc:
            raise Conflict(f"nonce {v.nonce} is queued already", "nonce_used") from exc
    p.metrics.vouchers_queued.inc()
    # A refusal cached a moment ago must not outlive the payment that lifts it.
    cache = p.extras.get(STREAM_AUTH_KEY)
    if isinstance(cache, dict):
        for who in (listener, listener.lower(), signed_in):
            cache.pop((v.song_id.lower(), who), None)
    return Accepted(listener, v.nonce, v.song_id, v.amount, "queued")


def played_since(p: Platform, song_id: str, listener: str, since: datetime) -> bool:
    with p.catalog.read() as session:
        return VoucherRepository(session).played_since(song_id, listener, since)


def paid_window(seconds: int, now: datetime) -> datetime:
    return now - timedelta(seconds=seconds)


def _signature(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidRequest("signature must be hex") from exc
    if len(raw) != 65:
        raise InvalidRequest("signature must be 65 bytes (r, s, v)")
    try:
        chain_vouchers.compact(raw)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    return raw

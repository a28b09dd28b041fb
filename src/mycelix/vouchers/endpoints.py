"""`POST /api/vouchers` (a signed play voucher as the proof of payment for a gated stream),
`GET /api/vouchers/account/{address}` (a listener's router balance, what their unsettled vouchers
may still take, and the next nonce) and `GET /api/vouchers/typed-data` (the EIP-712 message to
sign). See docs/api.md ("Vouchers")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from mycelix.api.deps import CurrentAddress, PlatformDep, rate_limit
from mycelix.api.errors import APIError
from mycelix.api.params import song_id_param
from mycelix.schemas import WEI_DOC, Address, SongId, Wei
from mycelix.vouchers import service

router = APIRouter(
    prefix="/api/vouchers",
    tags=["vouchers"],
    dependencies=[Depends(rate_limit("vouchers", 600))],
)


class VoucherIn(BaseModel):
    listener: Address
    song_id: SongId
    amount: Wei = Field(description="The most the play may be charged, in wei.")
    nonce: int = Field(ge=0, le=service.MAX_NONCE)
    expiry: int = Field(
        ge=0, le=service.MAX_EXPIRY, description="Unix time (chain time) until which it may settle."
    )
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$",
        description="The listener's EIP-712 signature (65 bytes r ‖ s ‖ v, hex).",
    )


class VoucherOut(BaseModel):
    listener: str
    song_id: str
    nonce: int
    amount: str = Field(description=WEI_DOC)
    status: str = Field(description='"queued": the play is paid for; it settles in a batch.')


class AccountOut(BaseModel):
    listener: str
    balance: str = Field(description="Unspent FLOW deposited in the router, in wei.")
    unsettled: str = Field(description="What queued and submitted vouchers may still charge.")
    available: str = Field(description="balance - unsettled: what new vouchers may offer.")
    withdrawal_unlocks_at: int = Field(description="0 unless a withdrawal was requested.")
    next_nonce: int = Field(description="The nonce the listener's next voucher should carry.")


@router.post("", status_code=202, response_model=VoucherOut)
async def submit_voucher(body: VoucherIn, p: PlatformDep, who: CurrentAddress) -> VoucherOut:
    """Queue the signed-in listener's play voucher; the song then streams to them at once
    (`GET /api/songs/{song_id}/audio`). 409 `nonce_used`, `balance_too_low` or
    `withdrawal_pending`; 422 `bad_signature` or a price, expiry or nonce out of bounds."""
    submission = service.VoucherSubmission(
        body.listener, body.song_id, body.amount, body.nonce, body.expiry, body.signature
    )
    accepted = await run_in_threadpool(service.submit, p, who, submission)
    return VoucherOut(
        listener=accepted.listener,
        song_id=accepted.song_id,
        nonce=accepted.nonce,
        amount=str(accepted.amount),
        status=accepted.status,
    )


@router.get("/account/{address}", response_model=AccountOut)
async def voucher_account(address: str, p: PlatformDep) -> AccountOut:
    """A listener's balance in the router (public on chain) and their voucher bookkeeping."""
    listener = _address(address)
    a = await run_in_threadpool(service.account, p, listener)
    return AccountOut(
        listener=a.listener,
        balance=str(a.balance),
        unsettled=str(a.unsettled),
        available=str(a.available),
        withdrawal_unlocks_at=a.withdrawal_unlocks_at,
        next_nonce=a.next_nonce,
    )


@router.get("/typed-data")
async def voucher_typed_data(
    p: PlatformDep,
    listener: Annotated[str, Query(description="The listener's address.")],
    song_id: Annotated[str, Query(description="The song's bytes32 id.")],
    amount: Annotated[str, Query(description="The most the play may cost, wei.")],
    nonce: Annotated[int, Query(ge=0, le=service.MAX_NONCE)],
    expiry: Annotated[int, Query(ge=0, le=service.MAX_EXPIRY)],
) -> dict[str, Any]:
    """The EIP-712 typed data of a voucher, ready for `eth_signTypedData_v4` (uint256 values
    as decimal strings)."""
    return service.typed_data(
        p, _address(listener), song_id_param(song_id), _wei(amount), nonce, expiry
    )


def _address(text: str) -> str:
    try:
        return str(TypeAdapter(Address).validate_python(text))
    except ValidationError as exc:
        raise APIError(422, f"not an address: {text!r}", "invalid_request") from exc


def _wei(text: str) -> int:
    try:
        return int(TypeAdapter(Wei).validate_python(text))
    except ValidationError as exc:
        raise APIError(422, f"not an amount of wei: {text!r}", "invalid_request") from exc

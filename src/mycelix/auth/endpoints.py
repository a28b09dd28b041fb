"""Sign-In with Ethereum: `GET /api/auth/nonce`, `POST /api/auth/verify`, `POST /api/auth/logout`,
`GET /api/auth/me`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from web3 import Web3

from mycelix.api.deps import SESSION_COOKIE, CurrentAddress, auth, rate_limit, session_token
from mycelix.auth.service import SESSION_TTL, AuthService

router = APIRouter(prefix="/api/auth", tags=["auth"])


class NonceOut(BaseModel):
    nonce: str
    address: str | None = Field(
        default=None,
        description="The `address` asked about, EIP-55 checksummed as the message must name it.",
    )


class VerifyIn(BaseModel):
    message: str = Field(max_length=4096, description="The EIP-4361 message the wallet signed.")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65-byte signature, hex.")


class SessionOut(BaseModel):
    address: str
    token: str
    expires_at: datetime


class MeOut(BaseModel):
    address: str


@router.get("/nonce", dependencies=[Depends(rate_limit("auth", 60))])
def nonce(
    service: Annotated[AuthService, Depends(auth)],
    address: Annotated[str | None, Query(pattern="^0x[0-9a-fA-F]{40}$")] = None,
) -> NonceOut:
    """A single-use nonce to put in the Sign-In with Ethereum message (valid 10 minutes). With
    `address`, also that address checksummed (EIP-4361 messages name it so; a page without a
    keccak library can ask here)."""
    checksummed = Web3.to_checksum_address(address) if address else None
    return NonceOut(nonce=service.issue_nonce(), address=checksummed)


@router.post("/verify", dependencies=[Depends(rate_limit("auth", 60))])
def verify(
    body: VerifyIn, response: Response, service: Annotated[AuthService, Depends(auth)]
) -> SessionOut:
    """Check the signed message (domain and URI = one of this deployment's public origins,
    chain id, nonce used once) and start a session: the token works as a bearer token and is
    also set as an HttpOnly cookie."""
    session = service.sign_in(body.message, body.signature)
    response.set_cookie(
        SESSION_COOKIE, session.token, max_age=SESSION_TTL, httponly=True, samesite="lax"
    )
    return SessionOut(address=session.address, token=session.token, expires_at=session.expires_at)


@router.post("/logout", status_code=204)
def logout(
    request: Request, response: Response, service: Annotated[AuthService, Depends(auth)]
) -> None:
    """End the current session."""
    token = session_token(request)
    if token:
        service.sign_out(token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
def me(address: CurrentAddress) -> MeOut:
    """The signed-in address."""
    return MeOut(address=address)

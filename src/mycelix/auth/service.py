"""SIWE verification and sessions, over the shared state so every replica agrees."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

import siwe
from web3 import Web3

from mycelix.api.errors import APIError
from mycelix.ops.metrics import Metrics
from mycelix.shared.state import SharedState

NONCE_TTL = 600
SESSION_TTL = 24 * 3600


@dataclass(frozen=True)
class Session:
    token: str
    address: str
    expires_at: datetime


class AuthService:
    def __init__(self, state: SharedState, metrics: Metrics, chain_id: int) -> None:
        self.state = state
        self.metrics = metrics
        self.chain_id = chain_id

    def issue_nonce(self) -> str:
        nonce = siwe.generate_nonce()
        self.state.put_nonce(nonce, NONCE_TTL)
        self.metrics.siwe_nonces.inc()
        return nonce

    def sign_in(self, message: str, signature: str, domain: str) -> Session:
        """Verify a signed EIP-4361 message; its nonce works once, on any replica."""
        try:
            parsed = siwe.SiweMessage.from_message(message)
        except Exception as exc:
            self._fail("malformed", f"not a Sign-In with Ethereum message: {exc}")
        if parsed.domain != domain:
            self._fail("domain", f"message is for {parsed.domain!r}, this server is {domain!r}")
        if int(parsed.chain_id) != self.chain_id:
            self._fail(
                "chain", f"message is for chain {parsed.chain_id}, this server uses {self.chain_id}"
            )
        # Take the nonce before checking the signature so a replayed message fails even if
        # someone races it on another replica.
        if not self.state.take_nonce(parsed.nonce):
            self._fail("nonce", "unknown, expired or already used nonce")
        try:
            parsed.verify(signature, domain=domain, nonce=parsed.nonce)
        except siwe.ExpiredMessage:
            self._fail("expired", "the message has expired")
        except siwe.NotYetValidMessage:
            self._fail("not_yet_valid", "the message is not valid yet")
        except Exception:
            self._fail("signature", "the signature does not match the message's address")
        token = secrets.token_urlsafe(32)
        address = Web3.to_checksum_address(parsed.address)
        self.state.put_session(token, address, SESSION_TTL)
        self.metrics.siwe_logins.labels("success").inc()
        expires = datetime.fromtimestamp(datetime.now(UTC).timestamp() + SESSION_TTL, UTC)
        return Session(token, address, expires)

    def address_for(self, token: str | None) -> str | None:
        return self.state.get_session(token) if token else None

    def sign_out(self, token: str) -> None:
        self.state.drop_session(token)

    def _fail(self, outcome: str, message: str) -> NoReturn:
        self.metrics.siwe_logins.labels(outcome).inc()
        raise APIError(401, message, "sign_in_failed")

"""SIWE verification and sessions, over the shared state so every replica agrees.

A signed message names the site it was signed for (`domain`, `uri`). It is checked against
the origins this deployment is configured to be reached at (`Settings.public_origins`),
never against the request's own `Host` header: a phishing site that relays a victim's
signature can set that header to anything, including its own name."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import urlsplit

import siwe
from web3 import Web3

from mycelix.config import Settings
from mycelix.errors import Unauthenticated
from mycelix.ops.metrics import Metrics
from mycelix.shared.state import SharedState

NONCE_TTL = 600
SESSION_TTL = 24 * 3600


@dataclass(frozen=True)
class Session:
    token: str
    address: str
    expires_at: datetime


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::", "::1", ""})  # nosec B104: a set of names, not a bind


def _origin(url: str) -> str:
    """`scheme://host[:port]` of `url`, lower-cased; ValueError if it has no host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) origin: {url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def public_origins(settings: Settings) -> list[str]:
    """The origins sign-in messages may name: `settings.public_origins`, else the address
    `serve` listens on (both loopback spellings when it listens on loopback or everywhere)."""
    if settings.public_origins:
        return [_origin(o) for o in settings.public_origins]
    host = settings.host
    hosts = ["127.0.0.1", "localhost"] if host in LOCAL_HOSTS else [host]
    return [_origin(f"http://{f'[{h}]' if ':' in h else h}:{settings.port}") for h in hosts]


class AuthService:
    def __init__(
        self, state: SharedState, metrics: Metrics, chain_id: int, origins: Iterable[str]
    ) -> None:
        self.state = state
        self.metrics = metrics
        self.chain_id = chain_id
        # domain (host[:port]) -> origin
        self.origins = {urlsplit(o).netloc: o for o in (_origin(o) for o in origins)}
        if not self.origins:
            raise ValueError("sign-in needs at least one public origin")

    def issue_nonce(self) -> str:
        nonce = siwe.generate_nonce()
        self.state.put_nonce(nonce, NONCE_TTL)
        self.metrics.siwe_nonces.inc()
        return nonce

    def sign_in(self, message: str, signature: str) -> Session:
        """Verify a signed EIP-4361 message for one of this deployment's public origins; its
        nonce works once, on any replica."""
        try:
            parsed = siwe.SiweMessage.from_message(message)
        except Exception as exc:
            self._fail("malformed", f"not a Sign-In with Ethereum message: {exc}")
        domain = parsed.domain.lower()
        origin = self.origins.get(domain)
        if origin is None:
            self._fail(
                "domain",
                f"message is for {parsed.domain!r}; this server signs in for "
                f"{', '.join(repr(d) for d in self.origins)} (MYCELIX_PUBLIC_ORIGINS)",
            )
        try:
            uri_origin = _origin(str(parsed.uri))
        except ValueError:
            uri_origin = None
        if uri_origin != origin:
            self._fail("domain", f"message URI {str(parsed.uri)!r} is not on {origin}")
        if int(parsed.chain_id) != self.chain_id:
            self._fail(
                "chain", f"message is for chain {parsed.chain_id}, this server uses {self.chain_id}"
            )
        # Take the nonce before checking the signature so a replayed message fails even if
        # someone races it on another replica.
        if not self.state.take_nonce(parsed.nonce):
            self._fail("nonce", "unknown, expired or already used nonce")
        try:
            parsed.verify(signature, domain=parsed.domain, nonce=parsed.nonce)
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
        raise Unauthenticated(message, "sign_in_failed")

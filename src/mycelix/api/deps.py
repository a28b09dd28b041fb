"""Request-scoped dependencies: the platform, catalogue sessions (the request commits), the
signed-in address, rate limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mycelix.api.errors import APIError
from mycelix.auth.service import AuthService
from mycelix.platform import Platform

SESSION_COOKIE = "mycelix_session"


def platform(request: Request) -> Platform:
    return request.app.state.platform


def reader(p: Annotated[Platform, Depends(platform)]) -> Iterator[Session]:
    with p.catalog.read() as session:
        yield session


def writer(p: Annotated[Platform, Depends(platform)]) -> Iterator[Session]:
    """A unit of work that commits when the endpoint returns without raising."""
    with p.catalog.write() as session:
        yield session


def auth(request: Request) -> AuthService:
    return request.app.state.auth


def session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def current_address(request: Request, service: Annotated[AuthService, Depends(auth)]) -> str:
    """The signed-in address, or 401."""
    address = service.address_for(session_token(request))
    if address is None:
        raise APIError(401, "sign in first (GET /api/auth/nonce, then POST /api/auth/verify)")
    return address


def optional_address(
    request: Request, service: Annotated[AuthService, Depends(auth)]
) -> str | None:
    return service.address_for(session_token(request))


def rate_limit(bucket: str, limit: int, window: int = 60) -> Callable[[Request], None]:
    """A dependency allowing `limit` requests per `window` seconds per client and bucket,
    counted in the shared state so replicas enforce one limit together."""

    def check(request: Request) -> None:
        p: Platform = request.app.state.platform
        client = request.client.host if request.client else "unknown"
        allowed, retry = p.state.hit(f"{bucket}:{client}", limit, window)
        if not allowed:
            route = getattr(request.scope.get("route"), "path", "unmatched")
            p.metrics.rate_limited.labels(route).inc()
            raise APIError(
                429, f"too many requests; retry in {retry} s", headers={"Retry-After": str(retry)}
            )

    return check


ReadSession = Annotated[Session, Depends(reader)]
WriteSession = Annotated[Session, Depends(writer)]
CurrentAddress = Annotated[str, Depends(current_address)]
OptionalAddress = Annotated[str | None, Depends(optional_address)]
PlatformDep = Annotated[Platform, Depends(platform)]

"""Every error answers `{"error": {"code", "message"}}` with the right status code."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mycelix.catalog.repositories import AlreadyExists, InvalidCursor, NotFound
from mycelix.chain.errors import ChainConnectionError, ContractRevert, DeploymentError, InvalidInput
from mycelix.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    Missing,
    Unauthenticated,
    Unavailable,
    UnsupportedMedia,
)
from mycelix.storage import StorageError

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    502: "chain_unavailable",
    503: "unavailable",
}


class APIError(Exception):
    """Raised by endpoints (services raise `mycelix.errors`); rendered as the error body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.headers = headers


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _respond(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    request.state.error_code = code
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


# Domain errors whose message is already the answer: exception type -> (status, code); a
# `DomainError` that carries its own `code` keeps it.
_MAPPED: dict[type[Exception], tuple[int, str]] = {
    InvalidInput: (422, "invalid_request"),
    NotFound: (404, "not_found"),
    AlreadyExists: (409, "conflict"),
    InvalidCursor: (400, "bad_request"),
    ChainConnectionError: (502, "chain_unavailable"),
    DeploymentError: (503, "unavailable"),
    InvalidRequest: (422, "invalid_request"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    Missing: (404, "not_found"),
    Conflict: (409, "conflict"),
    UnsupportedMedia: (415, "unsupported_media_type"),
    Unavailable: (503, "unavailable"),
}


def _mapped_handler(status: int, code: str) -> Any:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        own = exc.code if isinstance(exc, DomainError) else None
        return _respond(request, status, own or code, str(exc))

    return handler


def install(app: FastAPI) -> None:
    """Register the handlers that give every failure the same shape."""

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        return _respond(request, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return _respond(request, exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            # A rule of the whole body (a model validator) has no field of its own.
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{where}: {message}")
        return _respond(request, 422, "invalid_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StorageError)
    async def storage_error(request: Request, exc: StorageError) -> JSONResponse:
        return _respond(request, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(ContractRevert)
    async def contract_revert(request: Request, exc: ContractRevert) -> JSONResponse:
        return _respond(request, 409, "contract_revert", exc.reason)

    for kind, (status, code) in _MAPPED.items():
        app.add_exception_handler(kind, _mapped_handler(status, code))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _respond(request, 500, "internal_error", "internal error")

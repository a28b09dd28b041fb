"""JSON-RPC 2.0 envelopes: one request or a batch in, the responses out.

Transport-free and synchronous: the HTTP endpoint runs :func:`handle` in a worker thread. Every
failure becomes a JSON-RPC error object (-32700 parse error, -32600 invalid request, -32601
unknown method, -32602 invalid params, -32603 internal error, and the chain's own codes from
:mod:`mycelix.rpc.methods`); nothing the client sends raises out of here.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from mycelix.chain.embedded import EmbeddedChain
from mycelix.rpc.methods import RpcError, call_method
from mycelix.rpc.params import InvalidParams

__all__ = ["MAX_BATCH", "MAX_BODY_BYTES", "error_response", "handle"]

log = logging.getLogger("mycelix.rpc")

MAX_BODY_BYTES = 1 << 20
"""Largest request body (1 MiB; a contract-sized raw transaction fits several times over)."""
MAX_BATCH = 100
"""Most requests in one batch; a longer batch is refused whole, before any runs."""
MAX_METHOD_NAME = 128
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted. Checked before parsing: the process's
recursion limit is raised by a dependency, so a body of 100,000 ``[`` would overflow the C
stack of the JSON decoder instead of raising RecursionError."""
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def error_response(code: int, message: str, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def handle(chain: EmbeddedChain, body: bytes, *, dev_allowed: bool = False) -> Any:
    """The response to ``body`` (an object, or a list for a batch), or ``None`` when every
    request was a notification (no ``id``), which gets no answer."""
    if _too_deep(body):
        return error_response(-32700, f"parse error: nested deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8, bad JSON and integers beyond Python's digit limit.
        return error_response(-32700, "parse error: the body is not valid JSON")
    if isinstance(payload, list):
        if not payload:
            return error_response(-32600, "invalid request: empty batch")
        if len(payload) > MAX_BATCH:
            return error_response(
                -32600, f"batch of {len(payload)} requests exceeds the limit of {MAX_BATCH}"
            )
        answers = [_one(chain, item, dev_allowed) for item in payload]
        kept = [a for a in answers if a is not None]
        return kept or None
    return _one(chain, payload, dev_allowed)


def _too_deep(body: bytes) -> bool:
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _one(chain: EmbeddedChain, request: Any, dev_allowed: bool) -> dict[str, Any] | None:
    if not isinstance(request, dict):
        return error_response(-32600, "invalid request: expected a JSON-RPC object")
    notification = "id" not in request
    request_id = request.get("id")
    if request_id is not None and (
        isinstance(request_id, bool) or not isinstance(request_id, int | str)
    ):
        return error_response(-32600, "invalid request: id must be a string, number or null")
    if isinstance(request_id, str) and len(request_id) > 256:
        return error_response(-32600, "invalid request: id longer than 256 characters")
    if request.get("jsonrpc") != "2.0":
        return error_response(-32600, 'invalid request: "jsonrpc" must be "2.0"', request_id)
    method = request.get("method")
    if not isinstance(method, str) or not method or len(method) > MAX_METHOD_NAME:
        return error_response(-32600, "invalid request: method must be a method name", request_id)
    params = request.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        answer = error_response(-32602, "invalid params: params must be an array", request_id)
        return None if notification else answer
    try:
        result = call_method(chain, method, params, dev_allowed=dev_allowed)
        answer = {"jsonrpc": "2.0", "id": request_id, "result": result}
    except InvalidParams as exc:
        answer = error_response(-32602, f"invalid params: {exc}", request_id)
    except RpcError as exc:
        answer = {"jsonrpc": "2.0", "id": request_id, "error": exc.as_dict()}
    except Exception:
        log.exception("JSON-RPC %s failed", method)
        answer = error_response(-32603, "internal error", request_id)
    return None if notification else answer

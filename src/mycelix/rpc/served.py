"""Reaching the embedded chain while `mycelix serve` holds it.

The chain file is locked by the process that opened it, so while a server runs nothing else
can open it. The server therefore announces itself in ``DATA_DIR/server.json`` (its URL, its
`/rpc` URL and its pid) for as long as it serves, and the CLI's chain commands, finding the
chain locked, go through that `/rpc` instead of failing. The file is removed on a clean stop
(SIGTERM, Ctrl-C); a crashed server's file is recognised as stale because its pid no longer
holds the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from web3 import Web3

from mycelix.chain.connect import Chain, _signer_from_settings, dev_signers, open_chain
from mycelix.chain.embedded import LOCK_FILENAME, ChainLockedError
from mycelix.chain.errors import ChainConnectionError
from mycelix.config import Settings

__all__ = ["SERVER_FILENAME", "ServedChain", "announce", "describe", "open_chain_or_server"]

SERVER_FILENAME = "server.json"
CONNECT_WAIT = 15.0
"""Seconds to wait for a server that has announced itself but is still starting."""


def server_file(settings: Settings) -> Path:
    return settings.data_dir / SERVER_FILENAME


def local_url(host: str, port: int) -> str:
    """How a process on this machine reaches a server listening on ``host:port``."""
    if host in ("", "0.0.0.0"):  # nosec B104: compares, does not bind
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def announce(settings: Settings, app: Any) -> None:
    """Have ``app`` write ``server.json`` once it starts and remove it when it stops (embedded
    chain only). Tied to the app's lifespan, not to the command: an ASGI server may end a
    SIGTERM'd server after the lifespan's shutdown but before any ``finally`` of its caller
    would run (uvicorn re-raises the signal)."""
    if not settings.embedded:
        return
    path = server_file(settings)
    url = local_url(settings.host, settings.port)
    record = {"url": url, "rpc_url": f"{url}/rpc", "pid": os.getpid()}
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as state:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record) + "\n")
            tmp.replace(path)
            try:
                yield state
            finally:
                with contextlib.suppress(OSError, ValueError):
                    if json.loads(path.read_text()).get("pid") == os.getpid():
                        path.unlink()

    app.router.lifespan_context = lifespan


@dataclass
class ServedChain(Chain):
    """The embedded chain reached through a running server's ``/rpc``."""

    server_url: str = ""

    def advance_time(self, seconds: int) -> None:
        # On the embedded chain evm_increaseTime mines the block itself, at exactly the latest
        # block's timestamp plus `seconds`, as EmbeddedChain.advance_time does in-process.
        _rpc(self.w3, "evm_increaseTime", [seconds])


def _rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in response:
        error = response["error"]
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise ChainConnectionError(f"the server refused {method}: {message}")
    return response.get("result")


def _lock_holder(settings: Settings) -> int | None:
    try:
        return int((settings.chain_dir / LOCK_FILENAME).read_text().strip())
    except (OSError, ValueError):
        return None


def open_chain_or_server(settings: Settings) -> Chain:
    """`open_chain`, except that an embedded chain held by a running `mycelix serve` is
    reached through that server's ``/rpc`` (dev accounts as signers, as in-process)."""
    try:
        return open_chain(settings)
    except ChainLockedError as locked:
        record = _server_record(settings)
        if record is None or record.get("pid") != _lock_holder(settings):
            raise ChainLockedError(
                f"{locked} — and no running `mycelix serve` announces itself in "
                f"{server_file(settings)}, so the chain cannot be reached through it"
            ) from None
        return _connect(settings, str(record["rpc_url"]), str(record["url"]))


def _server_record(settings: Settings) -> dict[str, Any] | None:
    try:
        record = json.loads(server_file(settings).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("rpc_url"), str):
        return None
    return record


def _connect(settings: Settings, rpc_url: str, server_url: str) -> ServedChain:
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    deadline = time.monotonic() + CONNECT_WAIT
    while True:
        try:
            w3.eth.chain_id  # noqa: B018 - proves the server answers
            break
        except requests.ConnectionError as exc:
            # Announced but not yet listening (it deploys on first start): wait a little.
            if time.monotonic() > deadline:
                raise ChainConnectionError(
                    f"the server at {server_url} holds the chain but does not answer: {exc}"
                ) from exc
            time.sleep(0.25)
        except Exception as exc:
            raise ChainConnectionError(f"the server at {rpc_url} failed: {exc}") from exc
    signers = dev_signers()
    signer = _signer_from_settings(settings) or signers[0]
    return ServedChain(w3=w3, signer=signer, dev_accounts=signers, server_url=server_url)


def describe(chain: Chain, settings: Settings) -> str:
    """One line saying which chain this is and how it is reached."""
    if isinstance(chain, ServedChain):
        return f"embedded ({settings.chain_dir}), through the server at {chain.server_url}"
    if chain.embedded is not None:
        return f"embedded ({settings.chain_dir})"
    return str(settings.rpc_url)

"""Shared CLI plumbing: settings from flags, one readable error line and a non-zero exit."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mycelix.chain.embedded import EmbeddedChainError
from mycelix.chain.errors import MycelixError
from mycelix.config import Settings

console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where this node keeps everything [env: MYCELIX_DATA_DIR]."),
]
RpcUrl = Annotated[
    str | None,
    typer.Option(
        "--rpc-url", help="JSON-RPC node instead of the embedded chain [env: MYCELIX_RPC_URL]."
    ),
]


def settings_from(data_dir: Path | None, rpc_url: str | None, **extra: Any) -> Settings:
    return Settings.from_env(None, data_dir=data_dir, rpc_url=rpc_url, **extra)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the package's own errors into one red line and exit code 1."""
    try:
        yield
    except (MycelixError, EmbeddedChainError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc


def loopback_if_any(host: str) -> str:
    """The address to reach a server listening on `host` from this machine."""
    try:
        return "127.0.0.1" if ipaddress.ip_address(host.strip("[]")).is_unspecified else host
    except ValueError:
        return host

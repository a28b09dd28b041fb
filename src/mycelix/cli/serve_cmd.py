"""`mycelix serve`: the API and the indexer on one machine, deploying on first start."""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer

from mycelix.cli.common import (
    DataDir,
    RpcUrl,
    console,
    err,
    friendly_errors,
    setting_option,
    settings_from,
)


def serve(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    host: Annotated[str | None, setting_option("host")] = None,
    port: Annotated[int | None, setting_option("port")] = None,
    get: Annotated[
        str | None,
        typer.Option(
            "--get",
            metavar="PATH",
            help="Answer one GET request in-process, print it, exit (non-zero unless 2xx).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="API processes (needs --rpc-url: the embedded chain is one process).",
        ),
    ] = 1,
) -> None:
    """Run the HTTP API and the chain indexer.

    On the embedded defaults (chain, SQLite, local content store), deploying the
    contracts on first start."""
    settings = settings_from(data_dir, rpc_url, host=host, port=port)
    if workers > 1 and settings.embedded:
        err.print(
            "error: --workers > 1 needs --rpc-url (the embedded chain belongs to one process)"
        )
        raise typer.Exit(2)
    from mycelix.api.runtime import Runtime

    with (
        friendly_errors(),
        Runtime.open(settings, indexer=get is None and settings.embedded_indexer) as runtime,
    ):
        if get is not None:
            with warnings.catch_warnings():
                # Starlette nudges towards httpx2; httpx is what is installed and works.
                warnings.filterwarnings(
                    "ignore", message="Using `httpx` with `starlette.testclient`"
                )
                from fastapi.testclient import TestClient

            with TestClient(runtime.app) as client:
                response = client.get(get)
            sys.stdout.write(response.text + ("\n" if not response.text.endswith("\n") else ""))
            if not 200 <= response.status_code < 300:
                err.print(f"GET {get} answered {response.status_code}")
                raise typer.Exit(1)
            return
        console.print(
            f"Mycelix API on http://{settings.host}:{settings.port}  (data: {settings.data_dir})"
        )
        runtime.serve(workers=workers)

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
    empty: Annotated[
        bool,
        typer.Option(
            "--empty",
            help="On first start, do not seed the demo catalogue: start with no songs.",
        ),
    ] = False,
) -> None:
    """Run the HTTP API and the chain indexer.

    On the embedded defaults (chain, SQLite, local content store), deploying the
    contracts on first start; on an empty data directory, seed the demo catalogue
    first (unless --empty)."""
    settings = settings_from(data_dir, rpc_url, host=host, port=port)
    if workers > 1 and settings.embedded:
        err.print(
            "error: --workers > 1 needs --rpc-url (the embedded chain belongs to one process)"
        )
        raise typer.Exit(2)
    from mycelix.api.runtime import Runtime
    from mycelix.demo.first_start import is_first_start, seed_first_start
    from mycelix.rpc.served import announce

    if get is None and not empty and is_first_start(settings):
        with friendly_errors():
            if not seed_first_start(settings, console):
                err.print("warning: the demo's conservation checks failed (serving anyway)")
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
            f"Mycelix on http://{settings.host}:{settings.port}  (data: {settings.data_dir})"
        )
        announce(settings, runtime.app)  # so the CLI's chain commands can use /rpc meanwhile
        # A wildcard address listens everywhere but is not one a browser can open.
        local = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(settings.host, settings.host)  # nosec B104: maps a bind to a URL
        address = f"http://{local}:{settings.port}"
        console.print(f"Open {address}/ in your browser (API docs: {address}/docs)")
        runtime.serve(workers=workers)

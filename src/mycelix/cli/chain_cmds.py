"""`mycelix deploy` and `mycelix chain ...`: the on-chain system and the embedded chain."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mycelix.chain.deploy import ensure_deployed
from mycelix.chain.manifest import Manifest
from mycelix.cli.common import (
    DataDir,
    RpcUrl,
    console,
    friendly_errors,
    setting_option,
    settings_from,
)
from mycelix.rpc.served import describe, open_chain_or_server

chain_app = typer.Typer(help="The chain: status and dev-time controls.", no_args_is_help=True)


def deploy(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    token: Annotated[str | None, setting_option("token")] = None,
) -> None:
    """Deploy the contracts and write the manifest, or verify it.

    Deploys tokens, router and strategies and writes DATA_DIR/deployment.json; if a
    manifest exists, verifies it against the chain and changes nothing."""
    settings = settings_from(data_dir, rpc_url, token=token)
    with (
        friendly_errors(),
        open_chain_or_server(settings) as chain,
        console.status("deploying…") as status,
    ):
        manifest, deployed = ensure_deployed(chain, settings, progress=status.update)
    verb = "deployed" if deployed else "verified (nothing changed)"
    table = Table(title=f"Mycelix contracts on chain {manifest.chain_id}: {verb}")
    table.add_column("contract")
    table.add_column("address")
    for name, address in manifest.addresses.items():
        table.add_row(name, address)
    console.print(table)
    console.print(f"manifest: {settings.manifest_path}")


@chain_app.command("status")
def status(data_dir: DataDir = None, rpc_url: RpcUrl = None) -> None:
    """Chain id, head block and time, and whether the deployment matches."""
    settings = settings_from(data_dir, rpc_url)
    with friendly_errors(), open_chain_or_server(settings) as chain:
        head = chain.w3.eth.get_block("latest")
        console.print(f"chain id   {chain.w3.eth.chain_id}")
        console.print(f"kind       {describe(chain, settings)}")
        console.print(f"head       block {head['number']} at {head['timestamp']}")
        if settings.manifest_path.exists():
            Manifest.load(settings.manifest_path).verify(chain.w3)
            console.print("deployment verified")
        else:
            console.print("deployment none (run `mycelix deploy`)")


@chain_app.command("advance")
def advance(
    seconds: Annotated[int, typer.Argument(min=1, help="Seconds to move block time forward.")],
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Move block time forward (dev chains only)."""
    settings = settings_from(data_dir, rpc_url)
    with friendly_errors(), open_chain_or_server(settings) as chain:
        chain.advance_time(seconds)
        console.print(f"block time now {chain.w3.eth.get_block('latest')['timestamp']}")

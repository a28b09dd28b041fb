"""`mycelix demo`: flags to settings, then `mycelix.demo.run_demo`."""

from __future__ import annotations

from typing import Annotated

import typer

from mycelix.cli.common import DataDir, RpcUrl, console, friendly_errors, settings_from
from mycelix.demo import DemoOptions, run_demo


def demo(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, max=104, help="Weeks of chain time to simulate.")
    ] = 6,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the listeners' behaviour.")] = 7,
    listeners: Annotated[
        int, typer.Option("--listeners", min=3, max=200, help="How many listeners.")
    ] = 10,
) -> None:
    """Simulate weeks of a realistic economy on a dev chain.

    Four artists upload generated songs (audio and covers, listed and playable in the API)
    under every strategy; weeks of listeners streaming, tipping, patronising and
    bidding; then print earnings and check that every FLOW is accounted for (exit 1 if
    not). Run it again to continue the economy."""
    settings = settings_from(data_dir, rpc_url)
    with friendly_errors():
        ok = run_demo(settings, DemoOptions(weeks=weeks, seed=seed, listeners=listeners), console)
    if not ok:
        raise typer.Exit(1)

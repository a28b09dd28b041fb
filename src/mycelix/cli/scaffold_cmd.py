"""`mycelix scaffold strategy NAME`: write a new strategy folder (see
`mycelix.strategies.scaffold`) into a checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer

from mycelix.cli import docs
from mycelix.cli.common import settings_from
from mycelix.cli.wallet import command_errors
from mycelix.strategies.scaffold import Names, scaffold_strategy

scaffold_app = typer.Typer(help="Generate code for extending Mycelix.", no_args_is_help=True)


@scaffold_app.command("strategy")
def strategy(
    name: Annotated[str, typer.Argument(help="e.g. my-strategy (registered as my-strategy-v1).")],
    root: Annotated[
        Path, typer.Option("--root", help="The checkout to write into.", file_okay=False)
    ] = Path("."),
) -> None:
    """Write a new strategy folder, its tests and its example.

    The folder goes under src/mycelix/strategies/ (contract, strategy, routes, SDK
    adapter, docs page), the tests under tests/strategies/, the example under
    examples/; as written they compile, deploy and pass. docs/cli.md is rewritten
    (the new strategy is one `upload --strategy` takes).
    Refuses a name that exists, writing nothing."""
    settings_from(None, None)  # like every command: a bad config file stops it first
    checkout = root.resolve()
    with command_errors():
        done = scaffold_strategy(name, checkout)
        names = Names.of(name)
    for path in done.created:
        typer.echo(f"wrote {path}")
    for path in done.updated:
        typer.echo(f"updated {path}")
    try:
        cli_docs = docs.regenerate(checkout)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        typer.echo(f"docs/cli.md not regenerated ({exc}); run `{docs.REGENERATE}`", err=True)
        raise typer.Exit(1) from exc
    if cli_docs is not None:
        typer.echo(f"regenerated {cli_docs} (`{docs.REGENERATE}`)")
    typer.echo(
        f"strategy {names.registry}: test it with\n"
        f"  PYTHONPATH=src python -m pytest -q tests/strategies/test_{names.snake}.py"
    )

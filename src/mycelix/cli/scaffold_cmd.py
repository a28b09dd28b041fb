"""`mycelix scaffold strategy NAME`: write a new strategy folder (see
`mycelix.strategies.scaffold`) into a checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    """Write a new strategy folder and its tests.

    The folder goes under src/mycelix/strategies/ (contract, strategy, SDK adapter, docs
    page), the tests under tests/strategies/; as written they compile, deploy and pass.
    Refuses a name that exists, writing nothing."""
    settings_from(None, None)  # like every command: a bad config file stops it first
    with command_errors():
        written = scaffold_strategy(name, root.resolve())
        names = Names.of(name)
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(
        f"strategy {names.registry}: test it with\n"
        f"  PYTHONPATH=src python -m pytest -q tests/strategies/test_{names.snake}.py"
    )

"""docs/operations.md documents every option of `mycelix backup` and `mycelix restore`."""

from __future__ import annotations

from pathlib import Path

import typer.main

from mycelix.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
COMMON = {"--help", "--data-dir", "--rpc-url"}


def test_every_backup_and_restore_option_is_documented() -> None:
    doc = DOC.read_text()
    group = typer.main.get_command(app)
    for name in ("backup", "restore"):
        command = group.commands[name]  # type: ignore[attr-defined]
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option not in COMMON:
                    assert f"`{option}" in doc or f"{option} " in doc, (
                        f"mycelix {name} {option} is not in docs/operations.md"
                    )

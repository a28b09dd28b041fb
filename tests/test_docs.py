"""Docs are checked: every setting and every CLI command is documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mycelix.cli.main import app
from mycelix.config import SETTINGS_ENV, Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields == set(SETTINGS_ENV)
    for name, variable in SETTINGS_ENV.items():
        assert f"| {name} | `{variable}` |" in doc, f"{name} is missing from docs/configuration.md"


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    groups = {g.name: g.typer_instance for g in app.registered_groups}
    for group, sub in groups.items():
        commands += [f"{group} {c.name or c.callback.__name__}" for c in sub.registered_commands]  # type: ignore[union-attr]
    for command in commands:
        assert f"`mycelix {command}" in readme, (
            f"`mycelix {command}` is not documented in README.md"
        )

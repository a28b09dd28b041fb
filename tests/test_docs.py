"""Docs are checked against the code: every setting (its variable, file key, flags, type and
default, by setting them and reading them back) and every CLI command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from mycelix.cli.main import app
from mycelix.config import NOT_IN_FILE, Settings, describe_type, env_name

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("setting", "file key", "variable", "flag", "type", "default", "meaning")


def documented_settings() -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[0] in Settings.model_fields:
            rows[cells[0]] = dict(zip(COLUMNS, cells, strict=True))
    return rows


def cli_options() -> dict[str, set[str]]:
    """Every command's options that set a setting: setting name -> flags."""
    found: dict[str, set[str]] = {}

    def walk(command: Any) -> None:
        for param in command.params:
            if param.name in Settings.model_fields:
                flags = set(param.opts)
                assert f"(env: {env_name(param.name)})" in (param.help or ""), (
                    f"{command.name} {'/'.join(flags)}: help does not name the variable"
                )
                found.setdefault(param.name, set()).update(flags)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


# A value in the environment's spelling, and what the setting must then hold.
def sample(name: str, tmp: Path) -> tuple[str, Any]:
    kind = describe_type(Settings.model_fields[name])
    return {
        "path": (str(tmp / name), tmp / name),
        "string": (f"value-of-{name}", f"value-of-{name}"),
        "integer": ("7", 7),
        "boolean": ("off", False),
        "list of strings": ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
    }[kind]  # fmt: skip


def test_every_setting_has_a_row() -> None:
    assert set(documented_settings()) == set(Settings.model_fields)


@pytest.mark.parametrize("name", [n for n in Settings.model_fields if n != "config"])
def test_the_documented_variable_and_file_key_set_the_setting(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = documented_settings()[name]
    raw, parsed = sample(name, tmp_path)
    variable = row["variable"].strip("`")
    monkeypatch.setenv(variable, raw)
    from_env = Settings() if name == "data_dir" else Settings(data_dir=tmp_path)
    assert getattr(from_env, name) == parsed
    monkeypatch.delenv(variable)
    if name in NOT_IN_FILE:
        assert row["file key"] == "—"
        return
    key = row["file key"].strip("`")
    config = tmp_path / "file.toml"
    config.write_text(f"{key} = {raw!r}\n".replace("'", '"'))
    assert getattr(Settings(config=config), name) == parsed


def test_the_config_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("port = 9100\n")
    monkeypatch.setenv(documented_settings()["config"]["variable"].strip("`"), str(config))
    assert Settings(data_dir=tmp_path).port == 9100


def test_the_documented_flags_are_the_commands_options() -> None:
    options = cli_options()
    for name, row in documented_settings().items():
        documented = set(re.findall(r"`(--[a-z-]+)`", row["flag"]))
        assert documented == options.get(name, set()), f"{name}: flags in the docs vs the CLI"


def test_the_documented_type_and_default_are_the_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for name, row in documented_settings().items():
        field = Settings.model_fields[name]
        assert row["type"] == describe_type(field), name
        if field.default_factory is not None and name == "data_dir":
            assert row["default"].startswith("`$XDG_DATA_HOME/mycelix`")
            assert Settings().data_dir == tmp_path / "mycelix"
            continue
        default = field.get_default(call_default_factory=True)
        if default is None or default == []:
            assert row["default"].startswith("none"), name
        elif isinstance(default, bool):
            assert row["default"] == f"`{str(default).lower()}`", name
        else:
            assert row["default"] == f"`{default}`", name


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

"""`mycelix init` as a new user runs it: a data directory, a commented config file every
command reads (flags over environment over file), and no silent overwrite."""

from __future__ import annotations

import json
import socket
import tomllib
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from mycelix.cli.main import app
from mycelix.config import Settings, example_config

runner = CliRunner()

# Arguments a command needs besides the settings, so it gets as far as reading them.
REQUIRED_ARGS: dict[str, list[str]] = {
    "restore": ["archive.tar"],
    "monitor": ["--out", "monitor-out"],
    # Its table would fold the message across cells.
    "doctor": ["--json"],
}


def required_args(command: object) -> list[str]:
    """Placeholder values for a command's required arguments and options that set no
    setting (commands merged later get these without an entry in REQUIRED_ARGS)."""
    args: list[str] = []
    for param in getattr(command, "params", []):
        if not param.required or param.name in Settings.model_fields:
            continue
        descriptor = getattr(param, "type_descriptor", None)
        value = "1" if getattr(descriptor, "annotation", None) is int else "placeholder"
        if param.param_type_name == "option":
            args += [param.opts[0], value]
        else:
            args.append(value)
    return args


def command_at(path: list[str]) -> object:
    command: object = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


def leaf_commands() -> list[list[str]]:
    found: list[list[str]] = []

    def walk(path: list[str], command: object) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk([*path, name], sub)
        else:
            found.append(path)

    walk([], typer.main.get_command(app))
    return found


def test_init_writes_the_commented_config_and_the_catalogue(tmp_path: Path) -> None:
    data = tmp_path / "node"
    result = runner.invoke(app, ["init", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    config = data / "mycelix.toml"
    assert config.read_text() == example_config()
    # Every line is a comment: the file changes nothing until a line is uncommented.
    assert tomllib.loads(config.read_text()) == {}
    assert (data / "catalog.sqlite3").is_file() and (data / "content").is_dir()
    assert f"wrote {config}" in result.output
    assert "mycelix doctor --data-dir" in result.output and "mycelix serve" in result.output


def test_init_keeps_an_existing_config_unless_forced(tmp_path: Path) -> None:
    config = tmp_path / "mycelix.toml"
    config.write_text("port = 9100\n")
    refused = runner.invoke(app, ["init", "--data-dir", str(tmp_path)])
    assert refused.exit_code == 1
    assert "exists; pass --force to overwrite it" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert config.read_text() == "port = 9100\n"
    assert not (tmp_path / "catalog.sqlite3").exists()
    forced = runner.invoke(app, ["init", "--data-dir", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert config.read_text() == example_config()


def test_init_into_an_unwritable_place_is_one_error_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(app, ["init", "--data-dir", str(blocker / "node")])
    assert result.exit_code == 1
    assert result.output.startswith("error:") and len(result.output.strip().splitlines()) == 1
    assert blocker.read_text() == "not a directory"


def test_init_with_an_unreachable_database_can_be_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://operator:secret@127.0.0.1:{port}/x"  # pragma: allowlist secret
    monkeypatch.setenv("MYCELIX_DATABASE_URL", url)
    failed = runner.invoke(app, ["init", "--data-dir", str(tmp_path)])
    assert failed.exit_code == 1
    assert f"error: catalogue postgresql+psycopg://operator:***@127.0.0.1:{port}/x" in failed.output
    assert "secret" not in failed.output and "run init again" in failed.output
    monkeypatch.delenv("MYCELIX_DATABASE_URL")
    again = runner.invoke(app, ["init", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert f"kept (unchanged) {tmp_path / 'mycelix.toml'}" in again.output
    assert (tmp_path / "catalog.sqlite3").is_file()


@pytest.mark.parametrize("command", leaf_commands(), ids=" ".join)
def test_every_command_reads_the_config_file(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init", "--data-dir", str(tmp_path)]).exit_code == 0
    # An out-of-range value in the file: a command that reads the file stops on it,
    # naming the key and the file, before doing anything else.
    config = tmp_path / "mycelix.toml"
    config.write_text(config.read_text() + "\nconfirmations = -1\n")
    # The data directory from the environment: not every command has --data-dir.
    monkeypatch.setenv("MYCELIX_DATA_DIR", str(tmp_path))
    name = " ".join(command)
    extra = REQUIRED_ARGS[name] if name in REQUIRED_ARGS else required_args(command_at(command))
    args = [*command, *extra]
    result = runner.invoke(app, args, input="\n")
    flat = result.output.replace("\n", "")
    assert f"confirmations = -1 in {config}" in flat, result.output
    # doctor reports the file as one failing check among the others; the rest stop at once.
    assert result.exit_code == (1 if command == ["doctor"] else 2), result.output


def test_flags_beat_the_environment_which_beats_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node, other = tmp_path / "node", tmp_path / "other"
    for where in (node, other):
        assert runner.invoke(app, ["init", "--data-dir", str(where)]).exit_code == 0
    (node / "mycelix.toml").write_text("port = 9101\n")

    def port(*args: str) -> str:
        result = runner.invoke(app, ["doctor", "--json", *args])
        checks = {c["name"]: c["detail"] for c in json.loads(result.stdout)["checks"]}
        return checks["port"]

    monkeypatch.setenv("MYCELIX_DATA_DIR", str(node))
    assert ":9101 " in port()
    monkeypatch.setenv("MYCELIX_PORT", "9102")
    assert ":9102 " in port()
    # The flag's data directory wins over the variable's, and its (absent) file applies.
    monkeypatch.delenv("MYCELIX_PORT")
    assert ":8000 " in port("--data-dir", str(other))
    assert Settings.from_env(None, data_dir=node).port == 9101

"""Settings: one typed mapping, flags over environment over config file over defaults, and one
readable line (exit 2) for a value that does not parse."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mycelix.cli.main import app
from mycelix.config import (
    CONFIG_FILENAME,
    Settings,
    SettingsError,
    default_data_dir,
    example_config,
)
from tests.support.anvil import free_port


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.embedded and settings.embedded_indexer
    assert settings.catalog_url == f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    assert (settings.host, settings.port, settings.cors_origins) == ("127.0.0.1", 8000, [])


def test_settings_read_the_rpc_url_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCELIX_RPC_URL", "http://127.0.0.1:8545")
    settings = Settings(data_dir=tmp_path)
    assert settings.rpc_url == "http://127.0.0.1:8545"
    assert not settings.embedded


@pytest.mark.parametrize(
    ("spelling", "value"),
    [("off", False), ("OFF", False), ("false", False), ("no", False), ("0", False),
     ("on", True), ("True", True), ("yes", True), ("1", True)],
)  # fmt: skip
def test_booleans_accept_the_usual_spellings(
    spelling: str, value: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCELIX_EMBEDDED_INDEXER", spelling)
    assert Settings(data_dir=tmp_path).embedded_indexer is value


def test_a_value_that_does_not_parse_names_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYCELIX_EMBEDDED_INDEXER", "perhaps")
    with pytest.raises(SettingsError, match=r"MYCELIX_EMBEDDED_INDEXER='perhaps': .*boolean"):
        Settings(data_dir=tmp_path)
    monkeypatch.delenv("MYCELIX_EMBEDDED_INDEXER")
    (tmp_path / CONFIG_FILENAME).write_text("port = 70000\n")
    with pytest.raises(SettingsError, match=r"port = 70000 in .*mycelix.toml: .*65535"):
        Settings(data_dir=tmp_path)


def test_the_config_file_refuses_unknown_keys_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILENAME).write_text('prot = 8080\nhost = "0.0.0.0"\n')
    with pytest.raises(SettingsError, match=r"unknown setting prot \(known: "):
        Settings(data_dir=tmp_path)
    with pytest.raises(SettingsError, match=r"config file .*absent.toml does not exist"):
        Settings(config=tmp_path / "absent.toml")
    (tmp_path / "broken.toml").write_text("port = \n")
    with pytest.raises(SettingsError, match=r"config file .*broken.toml: Invalid value"):
        Settings(config=tmp_path / "broken.toml")


def test_flags_beat_environment_beat_file_beat_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / CONFIG_FILENAME).write_text(
        'port = 9001\nhost = "0.0.0.0"\nconfirmations = 3\ncors_origins = ["https://a.example"]\n'
    )
    monkeypatch.setenv("MYCELIX_PORT", "9002")
    monkeypatch.setenv("MYCELIX_HOST", "127.0.0.2")
    settings = Settings(data_dir=tmp_path, port=9003)
    assert settings.port == 9003  # flag over environment and file
    assert settings.host == "127.0.0.2"  # environment over file
    assert settings.confirmations == 3  # file over default
    assert settings.cors_origins == ["https://a.example"]
    assert settings.max_upload_mb == 200  # default
    # The file named explicitly, the data directory's own one ignored.
    other = tmp_path / "other.toml"
    other.write_text("confirmations = 5\n")
    monkeypatch.setenv("MYCELIX_CONFIG", str(other))
    assert Settings(data_dir=tmp_path).confirmations == 5


def test_with_overrides_and_the_exported_environment_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        data_dir=tmp_path, cors_origins=["https://a.example", "https://b.example"], port=9004
    ).with_overrides(embedded_indexer=False, host=None)
    assert (settings.embedded_indexer, settings.host) == (False, "127.0.0.1")
    with pytest.raises(SettingsError, match=r"port=0: Input should be greater than or equal"):
        settings.with_overrides(port=0)
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_every_command_reads_flags_over_environment_over_file(tmp_path: Path) -> None:
    """`chain status` against three closed ports: the error names the one that won."""
    file_port, env_port, flag_port = free_port(), free_port(), free_port()
    (tmp_path / CONFIG_FILENAME).write_text(f'rpc_url = "http://127.0.0.1:{file_port}"\n')
    base = ["chain", "status", "--data-dir", str(tmp_path)]
    code, out = run_cli(*base, env={})
    assert code == 1 and f"cannot reach the chain at http://127.0.0.1:{file_port}" in out
    env = {"MYCELIX_RPC_URL": f"http://127.0.0.1:{env_port}"}
    code, out = run_cli(*base, env=env)
    assert code == 1 and f"http://127.0.0.1:{env_port}" in out
    code, out = run_cli(*base, "--rpc-url", f"http://127.0.0.1:{flag_port}", env=env)
    assert code == 1 and f"http://127.0.0.1:{flag_port}" in out
    # --config before the command names another file for every command.
    other = tmp_path / "other.toml"
    other.write_text('rpc_url = "http://127.0.0.1:1"\n')
    code, out = run_cli("--config", str(other), *base, env={})
    assert code == 1 and "cannot reach the chain at http://127.0.0.1:1" in out
    code, out = run_cli("--config", str(tmp_path / "absent.toml"), *base, env={})
    assert code == 2 and "absent.toml does not exist" in out


def test_a_bad_value_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "MYCELIX_PORT": "abc", "MYCELIX_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--get", "/health"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: bad setting: MYCELIX_PORT='abc': Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
    assert not any(tmp_path.iterdir())  # nothing was created


def test_the_example_config_file_parses_back(tmp_path: Path) -> None:
    """What `mycelix init` will write: every line, uncommented, is a valid setting at its
    default (or the example given for a setting that is unset by default)."""
    text = example_config()
    commented = Settings(config=_write(tmp_path / "commented.toml", text))
    defaults = Settings(data_dir=default_data_dir())
    assert commented.model_dump(exclude={"config"}) == defaults.model_dump(exclude={"config"})
    live = "\n".join(
        line[2:] if re.match(r"# [a-z_]+ = ", line) else line for line in text.splitlines()
    )
    settings = Settings(config=_write(tmp_path / "live.toml", live))
    for name, field in Settings.model_fields.items():
        if name == "config":
            continue
        expected = field.get_default(call_default_factory=True)
        if expected is None:
            expected = field.examples[0] if field.examples else None
            expected = Path(expected) if "Path" in str(field.annotation) else expected
        assert getattr(settings, name) == expected, name


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path

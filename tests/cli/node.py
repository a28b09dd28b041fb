"""A fresh node as a new user would have it: `mycelix deploy` in a temp data directory, then
accounts chosen by key in the environment (MYCELIX_PRIVATE_KEY), as the docs tell them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from mycelix.chain.embedded import derive_dev_accounts
from mycelix.cli.main import app
from mycelix.config import Settings
from mycelix.sdk import Mycelix, connect

runner = CliRunner()
ACCOUNTS = derive_dev_accounts(8)
OWNER, ARTIST, LISTENER, PRODUCER = (a.signer() for a in ACCOUNTS[:4])


def key_of(index: int) -> str:
    return "0x" + ACCOUNTS[index].private_key.hex()


def run(data_dir: Path, *args: str, key: int | None = None, **env: str) -> Result:
    """`mycelix ARGS --data-dir DATA_DIR` signed by dev account `key` (None: no key set)."""
    environ = {"MYCELIX_PRIVATE_KEY": key_of(key) if key is not None else "", **env}
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env=environ)


def one_error_line(result: Result, text: str) -> None:
    """The command failed with exactly one line that says `text`."""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and text in lines[0], result.output


@contextmanager
def sdk(data_dir: Path, who: int = 0) -> Iterator[Mycelix]:
    """A client on the node (closed again before the CLI opens the embedded chain)."""
    with connect(Settings(data_dir=data_dir)) as (client, _chain):
        yield client.as_account(ACCOUNTS[who].signer())


def deployed(data_dir: Path) -> Path:
    result = runner.invoke(app, ["deploy", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return data_dir

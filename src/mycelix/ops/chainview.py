"""Read-only access to the chain a running service uses, for operator tools.

A JSON-RPC node is simply connected to. The embedded chain's file is locked by the process that
serves it, so tools read a consistent copy instead: SQLite's online backup of `chain.sqlite3`
(the file is in WAL mode, so the copy is one committed moment, never half a block) into a
temporary directory, opened as a chain of its own. Nothing is ever written to the real file.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from web3 import Web3

from mycelix.chain.embedded import CHAIN_DB_FILENAME, EmbeddedChain
from mycelix.chain.errors import ChainConnectionError
from mycelix.config import Settings

RPC_TIMEOUT_S = 10


@contextmanager
def chain_view(settings: Settings) -> Iterator[Web3]:
    """A `Web3` on the chain `settings` name; raises `ChainConnectionError` if unreachable."""
    if not settings.embedded:
        w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": RPC_TIMEOUT_S}))
        try:
            w3.eth.chain_id  # noqa: B018 - proves the node answers
        except Exception as exc:
            raise ChainConnectionError(
                f"cannot reach the chain at {settings.rpc_url}: {exc}"
            ) from exc
        yield w3
        return
    source = settings.chain_dir / CHAIN_DB_FILENAME
    if not source.is_file():
        raise ChainConnectionError(f"no embedded chain at {source}")
    with tempfile.TemporaryDirectory(prefix="mycelix-chainview-") as scratch:
        snapshot_sqlite(source, Path(scratch) / CHAIN_DB_FILENAME)
        with EmbeddedChain.open(scratch) as chain:
            yield chain.w3


def snapshot_sqlite(source: Path, target: Path) -> None:
    """Copy one SQLite database consistently while another process may be writing it."""
    with (
        closing(sqlite3.connect(source)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)

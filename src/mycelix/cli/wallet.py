"""Plumbing of the commands that sign: FLOW amounts from text, the signing client, one error
line, and a result printed for people or (`--json`) for scripts.

The key is the settings' signer: MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE with
MYCELIX_KEYSTORE_PASSWORD (on the embedded chain, the first dev account when neither is set).
It never comes from a flag, where it would land in shell history and `ps`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.markup import escape
from web3.types import TxReceipt

from mycelix.catalog.repositories.common import CatalogError
from mycelix.chain.embedded import EmbeddedChainError
from mycelix.chain.errors import MycelixError
from mycelix.chain.units import DECIMALS, from_wei
from mycelix.cli.common import console, err
from mycelix.config import Settings
from mycelix.errors import DomainError
from mycelix.sdk.client import Mycelix
from mycelix.sdk.session import connect
from mycelix.storage import StorageError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
MaxFlow = Annotated[
    str | None,
    typer.Option(
        "--max",
        metavar="FLOW",
        help="Refuse, sending nothing, if the price is above this many FLOW.",
        show_default=False,
    ),
]


_FIGURE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")


class BadAmount(MycelixError):
    """An amount typed on the command line that is not a plain FLOW figure."""


def parse_flow(text: str, *, what: str = "amount") -> int:
    """Token units (wei) from a FLOW figure typed as text ("0.01", "5"). Refuses what a
    float would have blurred (more than 18 decimals), NaN, infinities, exponents and
    negatives, each with one line."""
    cleaned = text.strip()
    if cleaned.startswith("-") and _FIGURE.match(cleaned[1:]):
        raise BadAmount(f"{what} {text!r} must not be negative")
    if not _FIGURE.match(cleaned):
        # Also NaN, Infinity and exponents ("1e-3"): Decimal would take them, a person means
        # none of them.
        raise BadAmount(f"{what} {text!r} is not a FLOW amount (write it like 0.25)")
    value = Decimal(cleaned)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMALS:
        raise BadAmount(
            f"{what} {text!r} has more than {DECIMALS} decimals (FLOW's smallest unit is 1e-18)"
        )
    wei = int(value.scaleb(DECIMALS))
    if wei >= 2**256:
        raise BadAmount(f"{what} {text!r} is too large")
    return wei


def flow_text(wei: int) -> str:
    """A wei amount as FLOW for people: exact, without trailing zeros."""
    value = from_wei(wei).normalize()
    return f"{value:f}"


@contextmanager
def command_errors() -> Iterator[None]:
    """Every refusal of these commands as one red line: exit 2 for an amount typed wrong
    (like a bad flag), 1 for everything else."""
    try:
        yield
    except BadAmount as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    except (MycelixError, EmbeddedChainError, StorageError, CatalogError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def signing_client(settings: Settings) -> Iterator[Mycelix]:
    """The SDK client for the settings' signer on the deployed contracts (never deploys: a
    missing manifest is an error naming `mycelix deploy`)."""
    if not settings.manifest_path.exists():
        raise MycelixError(f"no deployment in {settings.data_dir} (run `mycelix deploy` first)")
    with connect(settings) as (sdk, _chain):
        yield sdk


def tx_hash(receipt: TxReceipt) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def report(as_json: bool, data: dict[str, Any], lines: list[str]) -> None:
    """Print the outcome: `data` as JSON for scripts, else `lines` for people."""
    if as_json:
        print(json.dumps(data, sort_keys=True))
        return
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)

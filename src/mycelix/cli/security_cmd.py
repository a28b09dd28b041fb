"""`mycelix security`: run every security check, summarise, fail on findings at or above a
severity."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mycelix.cli.common import DataDir, RpcUrl, console, err, settings_from

# The model only: `mycelix --help` need not import the scanners.
from mycelix.ops.security.model import CHECKS, Outcome, Ran, Severity

SEVERITIES = [str(s) for s in Severity]
COLOUR = {"info": "dim", "low": "cyan", "medium": "yellow", "high": "red", "critical": "bold red"}


def security(
    path: Annotated[
        Path, typer.Option("--path", help="Source tree to scan for secrets and code.")
    ] = Path("."),
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help=f"Exit 1 on findings at or above: {', '.join(SEVERITIES)}."),
    ] = "high",
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help=f"Run only this check (repeatable): {', '.join(CHECKS)}."),
    ] = None,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Scan dependencies, code, secrets, contracts and configuration.

    Checks: pip-audit, bandit, a secret scan of the tree, the contracts' compiler warnings,
    their NatSpec and revert reasons, and the configuration (debug, CORS, dev keys).
    Every check runs; exit 1 on findings at or above --fail-on."""
    from mycelix.ops.security import run_security

    try:
        threshold = Severity.parse(fail_on)
        if not path.is_dir():
            raise ValueError(f"--path {path} is not a directory")
        settings = settings_from(data_dir, rpc_url)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc

    def show(outcome: Outcome) -> None:
        if as_json:
            return
        if outcome.ran is Ran.NOT_CHECKED:
            console.print(f"[yellow]? {outcome.check}: not checked[/yellow] — {outcome.note}")
            return
        mark = (
            "[green]✓[/green]"
            if outcome.worst is None or outcome.worst < threshold
            else "[red]✗[/red]"
        )
        console.print(f"{mark} {outcome.check}  [dim]{outcome.note}[/dim]")
        for finding in sorted(outcome.findings, key=lambda f: -f.severity):
            if finding.severity >= threshold:
                level = str(finding.severity)
                console.print(
                    f"    [{COLOUR[level]}]{level}[/{COLOUR[level]}] {finding.location} "
                    f"{finding.message}",
                    soft_wrap=True,
                )
        below = sum(f.severity < threshold for f in outcome.findings)
        if below:
            console.print(f"    [dim]{below} below {threshold} (see --json)[/dim]")

    try:
        report = run_security(
            path.resolve(), settings, fail_on=threshold, only=only, on_outcome=show
        )
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        table = Table(title=f"mycelix security (fail on {threshold})")
        for column in ("check", "result", *SEVERITIES):
            table.add_column(column)
        for outcome in report.outcomes:
            counts = [str(sum(str(f.severity) == s for f in outcome.findings)) for s in SEVERITIES]
            result = (
                outcome.ran.value
                if outcome.ran is Ran.NOT_CHECKED
                else (
                    "fail" if outcome.worst is not None and outcome.worst >= threshold else "pass"
                )
            )
            table.add_row(outcome.check, result, *counts)
        console.print(table)
    if not report.ok:
        n = len(report.at_or_above(threshold))
        err.print(f"[red]error:[/red] {n} finding(s) at or above {threshold}", soft_wrap=True)
        raise typer.Exit(1)

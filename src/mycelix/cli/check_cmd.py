"""`mycelix check`: flags to a `CheckContext`, the seven stages, a summary table."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from mycelix.cli.common import DataDir, RpcUrl, console, err, loopback_if_any, settings_from
from mycelix.ops.check.model import StageResult, Status

MARK = {Status.PASS: "[green]✓[/green]", Status.FAIL: "[red]✗[/red]", Status.SKIP: "[dim]–[/dim]"}


def check(
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="The API to verify (default: http://HOST:PORT of the settings)."
        ),
    ] = None,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="The address that must own the router.")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=1, max=1000, help="Requests per latency route.")
    ] = 20,
    budget_ms: Annotated[
        float, typer.Option("--budget-ms", min=1, help="Latency budget for each route's p95.")
    ] = 500.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify a deployment in seven stages; exit 1 if any fails.

    Stages: dependencies, service health, contracts, read routes, migration, metrics, latency.
    Every stage runs, whatever failed before it; a summary table follows."""
    from mycelix.ops.check import CheckContext, run_check

    # The node's own settings (environment, config file): database, Redis, chain, paths.
    settings = settings_from(data_dir, rpc_url)
    host = loopback_if_any(settings.host)
    api = (url or f"http://{host}:{settings.port}").rstrip("/")
    ctx = CheckContext(settings, api, samples=samples, budget_ms=budget_ms, owner=owner)

    def show(stage: StageResult) -> None:
        if as_json:
            return
        console.print(f"[bold][{stage.number}/7] {stage.name}[/bold]")
        for probe in stage.probes:
            console.print(f"  {MARK[probe.status]} {probe.name}  [dim]{probe.detail}[/dim]")

    report = run_check(ctx, on_stage=show)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        table = Table(title=f"mycelix check {api}")
        for column in ("stage", "result", "detail"):
            table.add_column(column)
        for stage in report.stages:
            table.add_row(
                f"{stage.number} {stage.name}",
                f"{MARK[stage.status]} {stage.status.value}",
                stage.summary,
            )
        console.print(table)
    if not report.ok:
        failed = [s.name for s in report.stages if s.status is Status.FAIL]
        err.print(f"[red]error:[/red] check failed: {', '.join(failed)}", soft_wrap=True)
        raise typer.Exit(1)

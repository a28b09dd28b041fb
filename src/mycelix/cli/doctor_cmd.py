"""`mycelix doctor`: the local setup, checked part by part, as a table or JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mycelix.cli.common import DataDir, RpcUrl, config_file, console, err
from mycelix.config import Settings, SettingsError, default_data_dir, env_name
from mycelix.ops.check.model import Status

MARK = {
    Status.PASS: "[green]ok[/green]",
    Status.FAIL: "[red]FAIL[/red]",
    Status.SKIP: "[dim]–[/dim]",
}


def doctor(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Diagnose the local setup; exit 1 if any check fails.

    Python and packages, data directory and free space, config file, database and its
    migration, chain and deployment, Redis, anvil, the audio libraries, the listen port.
    Every check runs, whatever failed before it."""
    from mycelix.ops.doctor import run_doctor

    flags = {"config": config_file.get(), "data_dir": data_dir, "rpc_url": rpc_url}
    problem = None
    try:
        settings = Settings.from_env(None, **flags)
    except SettingsError as exc:
        # Diagnose the rest with defaults: a bad file is one finding, not the end of it.
        problem = str(exc)
        where = data_dir or os.environ.get(env_name("data_dir")) or default_data_dir()
        settings = Settings.model_construct(data_dir=Path(where).expanduser(), rpc_url=rpc_url)
    if as_json:
        probes = run_doctor(settings, problem)
    else:
        with console.status("checking…") as status:
            probes = run_doctor(settings, problem, progress=status.update)
    failed = [p for p in probes if p.status is Status.FAIL]
    if as_json:
        report = {
            "ok": not failed,
            "checks": [
                {"name": p.name, "status": p.status.value, "detail": p.detail} for p in probes
            ],
        }
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        table = Table(title="mycelix doctor", title_justify="left")
        table.add_column("check", no_wrap=True)
        table.add_column("result", no_wrap=True)
        table.add_column("detail", overflow="fold")
        for probe in probes:
            table.add_row(probe.name, MARK[probe.status], escape(probe.detail))
        console.print(table)
    if failed:
        names = ", ".join(p.name for p in failed)
        err.print(
            f"[red]error:[/red] doctor found problems: {escape(names)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)

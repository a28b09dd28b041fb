"""`mycelix monitor`: write the monitoring stack's configuration for this deployment."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from mycelix.cli.common import console, err, loopback_if_any, settings_from
from mycelix.ops.monitor import ALERTS, PANELS, MonitorError, MonitorOptions, write_monitoring


def monitor(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="API HOST:PORT to scrape, repeatable (default: the settings' host and port).",
        ),
    ] = None,
    alertmanager: Annotated[
        str, typer.Option("--alertmanager", help="Alertmanager HOST:PORT.")
    ] = "127.0.0.1:9093",
    scrape_interval: Annotated[
        str, typer.Option("--scrape-interval", help="How often Prometheus scrapes (e.g. 15s).")
    ] = "15s",
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Where Alertmanager posts alerts.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
    ] = False,
) -> None:
    """Write Prometheus, Alertmanager and Grafana configuration.

    Into --out: a scrape config, alert rules with their promtool unit tests,
    Alertmanager routing and a Grafana dashboard, all on the service's own metrics."""
    if not target:
        settings = settings_from(None, None)
        host = loopback_if_any(settings.host)
        target = [f"{host}:{settings.port}"]
    options = MonitorOptions(
        targets=tuple(target),
        alertmanager=alertmanager,
        scrape_interval=scrape_interval,
        webhook_url=webhook_url,
    )
    try:
        written = write_monitoring(out, options)
    except (MonitorError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    if as_json:
        report = {
            "files": [str(p) for p in written],
            "alerts": [a.name for a in ALERTS],
            "panels": [p.title for p in PANELS],
        }
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    for path in written:
        console.print(f"wrote {path}")
    console.print(
        f"{len(ALERTS)} alerts, {len(PANELS)} dashboard panels; "
        f"check with: promtool check config {out / 'prometheus.yml'}"
    )

"""`mycelix stats`: platform or per-artist figures from the catalogue."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mycelix.cli.common import DataDir, catalog_session, console, err, flow, settings_from

AMOUNTS = ("revenue", "fees", "credited", "withdrawn", "earned")


def stats(
    artist: Annotated[
        str | None,
        typer.Option("--artist", metavar="ADDRESS", help="Figures of this artist's songs."),
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (amounts in token units, as strings).")
    ] = False,
) -> None:
    """Show platform figures, or one artist's with --artist.

    Songs, artists, plays, listeners, payments, revenue by strategy, credits and
    withdrawals, as the indexer recorded them in the catalogue. Amounts are in FLOW."""
    from mycelix.catalog.repositories import StatsRepository
    from mycelix.catalog.types import normalize_address

    if artist is not None:
        try:
            artist = normalize_address(artist)
        except ValueError:
            err.print(
                f"[red]error:[/red] --artist {escape(artist)} is not an address (0x and 40 hex)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(2) from None
    settings = settings_from(data_dir, None)
    with catalog_session(settings) as session:
        figures = StatsRepository(session).figures(artist)
    if artist is not None and figures.artists == 0:
        err.print(
            f"[red]error:[/red] no artist {artist} in the catalogue",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    data = asdict(figures)
    if as_json:
        sys.stdout.write(json.dumps(_units_as_text(data), indent=2) + "\n")
        return
    title = f"artist {artist}" if artist else "platform"
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows: list[tuple[str, str]] = [
        ("songs", str(figures.songs)),
        *([] if artist else [("artists", str(figures.artists))]),
        ("plays", str(figures.plays)),
        ("listeners", str(figures.listeners)),
        ("payments", str(figures.payments)),
        ("revenue (FLOW)", flow(figures.revenue)),
        ("fees (FLOW)", flow(figures.fees)),
        ("credited to splits (FLOW)", flow(figures.credited)),
        ("withdrawn (FLOW)", flow(figures.withdrawn)),
        ("active patrons", str(figures.active_patrons)),
    ]
    if figures.earned is not None:
        rows.insert(6, ("earned by the artist (FLOW)", flow(figures.earned)))
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if figures.by_strategy:
        by = Table(title="revenue by strategy", title_justify="left")
        by.add_column("strategy")
        by.add_column("payments", justify="right")
        by.add_column("FLOW", justify="right")
        for row in figures.by_strategy:
            by.add_row(
                row.strategy_name or row.strategy_id[:10], str(row.payments), flow(row.amount)
            )
        console.print(by)


def _units_as_text(data: dict[str, Any]) -> dict[str, Any]:
    # Token units exceed 2**53: JSON readers in other languages would round them.
    out = {k: (str(v) if k in AMOUNTS and v is not None else v) for k, v in data.items()}
    out["by_strategy"] = [{**r, "amount": str(r["amount"])} for r in data["by_strategy"]]
    return out

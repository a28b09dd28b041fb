"""Put the demo together: open the platform (deploying if needed), cast, release (upload and
register), simulate, report, check."""

from __future__ import annotations

import random
import time
from contextlib import ExitStack
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mycelix.chain.errors import InvalidInput
from mycelix.config import Settings
from mycelix.demo import cast as cast_
from mycelix.demo import catalogue, ledger, report
from mycelix.demo.simulate import Simulation
from mycelix.platform import Platform

AUCTION_SLOTS = 5


@dataclass(frozen=True)
class DemoOptions:
    weeks: int = 6
    seed: int = 7
    listeners: int = 10
    tables: bool = True  # False: progress, the checks and one line of summary (first start)


def run_demo(settings: Settings, options: DemoOptions, console: Console) -> bool:
    """Run one demo on the chain `settings` name; returns whether every check passed."""
    if options.weeks < 1:
        raise InvalidInput("--weeks must be at least 1")
    if options.listeners < 3:
        raise InvalidInput("--listeners must be at least 3")
    started = time.monotonic()
    days = options.weeks * 7
    with ExitStack() as stack:
        with console.status("opening the platform (deploying if needed)…"):
            platform = Platform.open(settings)
            stack.callback(platform.close)
        sdk, chain = platform.sdk, platform.chain
        if not chain.is_dev:
            raise InvalidInput(
                "the demo needs a dev chain (the embedded one, or a dev node such as anvil)"
            )
        where = f"embedded chain in {settings.chain_dir}" if chain.embedded else settings.rpc_url
        cast = cast_.assemble(sdk, chain, options.listeners)
        run = catalogue.next_run(cast)
        console.print(
            f"[bold]Mycelix demo[/bold], run {run} on the {where}: {days} days, seed {options.seed}"
        )
        first_block = chain.w3.eth.block_number + 1

        with console.status("setting up…") as status:
            cast_.fund(cast, lambda msg: status.update(msg))
            release = catalogue.release(
                cast,
                platform,
                run,
                auction_duration=catalogue.auction_duration(days),
                auction_slots=min(AUCTION_SLOTS, options.listeners - 1),
                step=lambda msg: status.update(msg),
            )
        if options.tables:
            console.print(report.catalogue_table(cast, release))
        else:
            formats = ", ".join(sorted({s.format for s in release.songs}))
            console.print(f"{len(release.songs)} songs uploaded ({formats}) and released")

        rng = random.Random(f"mycelix demo: seed {options.seed}, run {run}")
        simulation = Simulation(cast, release, chain, rng, days)
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("days"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("simulating", total=days)

            def on_day(day: int) -> None:
                progress.update(
                    task,
                    advance=1,
                    description=f"week {day // 7 + 1}, {simulation.stats.transactions} txs",
                )

            stats = simulation.run(on_day)

        with console.status("replaying the chain's events…"):
            book = ledger.replay(sdk, first_block)
            checks = ledger.check(sdk, book, (p.address for p in cast.everyone()))
            credits = {who: sdk.credits(who) for who, _ in book.credited}
        if options.tables:
            console.print(report.activity_table(book, stats, run))
            console.print(report.bullets(report.happenings(book, stats)))
            console.print(report.revenue_table(cast, book))
            console.print(report.earnings_table(cast, book, credits))
            console.print(
                f"All runs: {report.fmt(book.cgc_minted, 1)} CGC minted to listeners, "
                f"{report.fmt(book.total_fees)} FLOW in protocol fees.\n"
            )
        ok = report.print_checks(console, checks)
    elapsed = time.monotonic() - started
    if ok:
        console.print(
            f"[green]conservation: OK[/green], every FLOW minted is accounted for ({elapsed:.0f} s)"
        )
    else:
        console.print(f"[red]conservation: FAILED[/red] ({elapsed:.0f} s)")
    return ok

"""Rich tables: the catalogue, this run's activity, revenue per artist and strategy, earnings per
recipient, and the conservation checks. Sized to stay readable in an 80-column terminal."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from rich import box
from rich.console import Console
from rich.table import Table

from mycelix.chain.units import from_wei
from mycelix.demo.cast import Cast
from mycelix.demo.catalogue import GIFT, PATRONAGE, PPS, STRATEGY_LABELS, Release
from mycelix.demo.ledger import FREE, Check, Ledger
from mycelix.demo.simulate import RunStats
from mycelix.sdk import PaymentType, Role
from mycelix.strategies import registry

STRATEGIES = tuple(registry.names())
SHORT = {s.name: s.short or s.label for s in registry.all_strategies()}
FEE = "protocol fee"


def fmt(wei: int, places: int = 3) -> str:
    """FLOW (or CGC) for display, rounded to `places` decimals; zero shows as a dash."""
    if wei == 0:
        return "–"
    return f"{from_wei(wei).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):,f}"


def _table(title: str, *columns: str, numeric_from: int = 1) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, column in enumerate(columns):
        if i >= numeric_from:
            table.add_column(column, justify="right", no_wrap=True)
        else:
            table.add_column(column, no_wrap=i == 0)
    return table


def catalogue_table(cast: Cast, release: Release) -> Table:
    labels = cast.labels()
    table = _table(
        f"Catalogue of run {release.run}",
        "song",
        "economics",
        "splits (read back from chain)",
        numeric_from=9,
    )
    table.columns[0].no_wrap = False
    table.columns[1].min_width = 22
    table.columns[2].no_wrap = True
    for song in release.songs:
        sdk, sid = song.artist.client, song.song_id
        if song.strategy == PPS:
            terms = f"{fmt(sdk.quote(sid, PaymentType.STREAM))} FLOW a stream"
        elif song.strategy == GIFT:
            g = sdk.gift_config(sid)
            terms = (
                f"free; {fmt(g.cgc_per_listen, 0)} CGC a listen,\n"
                f"+{fmt(g.early_bonus, 0)} for the first {g.early_threshold},\n"
                f"x{g.repeat_multiplier_bps / 10_000:g} from the 6th"
                + ("" if g.configured else " (defaults)")
            )
        elif song.spec.terms is not None:
            terms = registry.get(song.strategy).demo_terms(sdk, sid)
        elif song.spec.patron_only:
            terms = "patron-only: exclusive\ntier patrons stream free"
        elif song.strategy == PATRONAGE:
            terms = "\n".join(
                f"{t.name} {fmt(t.fee, 0)} FLOW/30 d" + (", exclusive" if t.exclusive else "")
                for t in sdk.tiers(song.artist.address)
            )
        else:
            a = sdk.auction(sid)
            terms = (
                f"{a.slots} slots, {fmt(a.start_price, 0)} → {fmt(a.floor_price, 0)} FLOW\n"
                f"over {a.duration / 86_400:g} days"
            )
        splits = "\n".join(
            f"{s.bps / 100:>3g} % {labels.get(s.recipient, s.recipient)}"
            + ("" if s.role == Role.ARTIST else f" [dim]{Role(s.role).name.lower()}[/dim]")
            for s in sdk.splits(sid)
        )
        table.add_row(
            f"{song.title}\n[dim]{cast.acts[song.spec.act].name}[/dim]",
            f"[bold]{STRATEGY_LABELS[song.strategy]}[/bold]\n{terms}",
            splits,
        )
        table.add_section()
    return table


def activity_table(ledger: Ledger, stats: RunStats, run: int) -> Table:
    """This run's payments per strategy (from the events)."""
    table = _table(
        f"Payments in run {run}",
        "strategy",
        "paid streams",
        "free plays",
        "tips",
        "patron/slot",
        "FLOW paid",
    )
    for strategy in STRATEGIES:
        n = [
            ledger.plays[(strategy, kind)]
            for kind in (PaymentType.STREAM.name, FREE, PaymentType.TIP.name)
        ]
        other = (
            ledger.plays[(strategy, PaymentType.PATRONAGE.name)]
            + ledger.plays[(strategy, PaymentType.ACCESS.name)]
        )
        table.add_row(
            STRATEGY_LABELS[strategy],
            *(str(x or "–") for x in (*n, other)),
            fmt(ledger.run_gross[strategy]),
        )
    return table


def happenings(ledger: Ledger, stats: RunStats) -> list[str]:
    """One line per thing worth telling about this run."""
    c = ledger.counts
    listens = ledger.plays[(GIFT, FREE)] + ledger.plays[(GIFT, PaymentType.TIP.name)]
    rewarded = c["gift listens rewarded"]
    lines = [
        f"gift economy: {rewarded} of {listens} listens and tips rewarded with "
        f"{fmt(c['CGC minted (wei)'], 1)} CGC; {listens - rewarded} came within an hour of "
        "the listener's last reward and earned nothing",
        f"patronage: {c['patrons joined']} joined, {c['patronages renewed']} renewed, "
        f"{c['patronages cancelled']} cancelled; at the end: "
        + ", ".join(f"{n} {standing}" for standing, n in sorted(stats.patrons.items())),
        f"Dutch auction: {c['auction slots sold']} slots sold"
        + (
            f", sold out at {fmt(c['last clearing price (wei)'])} FLOW"
            if c["auctions sold out"]
            else ", not sold out"
        ),
        f"withdrawals: {c['withdrawals']}; "
        f"transactions sent by the simulation: {stats.transactions}",
    ]
    if stats.refused:
        lines.append(
            "refused by the contracts: "
            + ", ".join(f"{n} × {why}" for why, n in stats.refused.items())
        )
    return lines


def bullets(lines: Iterable[str]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column()
    grid.add_column()
    for line in lines:
        grid.add_row(" •", line)
    grid.add_row("", "")
    return grid


def revenue_table(cast: Cast, ledger: Ledger) -> Table:
    """What listeners paid for each act's songs, by strategy (all runs)."""
    acts: dict[str, str] = {cast.artists[key].address: act.name for key, act in cast.acts.items()}
    table = _table(
        "Revenue by artist and strategy (FLOW paid, all runs)",
        "artist", *(SHORT[s] for s in STRATEGIES), "gross", "fee", "net",
    )  # fmt: skip
    artists = sorted({a for a, _ in ledger.gross}, key=lambda a: acts.get(a, a))
    for artist in artists:
        row = [ledger.gross[(artist, s)] for s in STRATEGIES]
        fee = sum(ledger.fees[(artist, s)] for s in STRATEGIES)
        table.add_row(
            acts.get(artist, artist), *map(fmt, row), fmt(sum(row)), fmt(fee), fmt(sum(row) - fee)
        )
    totals = [sum(ledger.gross[(a, s)] for a in artists) for s in STRATEGIES]
    table.add_section()
    fees = ledger.total_fees
    table.add_row(
        "all", *map(fmt, totals), fmt(sum(totals)), fmt(fees), fmt(sum(totals) - fees), style="bold"
    )
    return table


def earnings_table(cast: Cast, ledger: Ledger, credits: dict[str, int]) -> Table:
    """What each recipient was credited, by strategy, and what they withdrew (all runs)."""
    labels: dict[str, str] = cast.labels()
    table = _table(
        "Earnings by recipient (FLOW credited, all runs)",
        "recipient", *(SHORT[s] for s in STRATEGIES), "fees", "withdrawn", "owed",
    )  # fmt: skip
    people = sorted(
        {r for r, _ in ledger.credited},
        key=lambda r: -sum(ledger.credited[(r, s)] for s in STRATEGIES),
    )
    for who in people:
        row = [ledger.credited[(who, s)] for s in (*STRATEGIES, FEE)]
        table.add_row(
            labels.get(who, who),
            *map(fmt, row),
            fmt(ledger.withdrawn[who]),
            fmt(credits.get(who, 0)),
        )
    table.caption = "Rounded to 0.001 FLOW; the checks below are exact to the wei."
    table.caption_justify = "left"
    return table


def print_checks(console: Console, checks: Iterable[Check]) -> bool:
    ok = True
    for c in checks:
        ok &= c.ok
        mark = "[green]PASS[/green]" if c.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {c.name}: {c.detail}")
    return ok

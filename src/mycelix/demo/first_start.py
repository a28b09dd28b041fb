"""`mycelix serve`'s first start: on a fresh data directory with the embedded chain, seed a short
demo (real recordings, listeners, a week of economy) before serving, so the address it prints
opens a living catalogue. `serve --empty` skips it; a second start never seeds again (the
deployment exists by then)."""

from __future__ import annotations

import time

from rich.console import Console

from mycelix.config import Settings
from mycelix.demo.runner import DemoOptions, run_demo

# Short enough for a first start (most of it is the week of simulated listening).
FIRST_START = DemoOptions(weeks=1, seed=7, listeners=4, tables=False)


def is_first_start(settings: Settings) -> bool:
    """Nothing deployed yet on the embedded chain of this data directory. An external chain
    (`--rpc-url`) is someone else's: the demo is never seeded onto it unasked."""
    return settings.embedded and not settings.manifest_path.exists()


def seed_first_start(settings: Settings, console: Console) -> bool:
    """Run the first-start demo; returns whether its conservation checks passed."""
    console.print(
        "[bold]First start[/bold]: seeding a demo catalogue of generated songs "
        "(start with [bold]--empty[/bold] to skip)…"
    )
    started = time.monotonic()
    ok = run_demo(settings, FIRST_START, console)
    console.print(f"demo seeded in {time.monotonic() - started:.1f} s")
    return ok

"""docs/cli.md from the commands' own `--help`, so the reference never drifts from the code.

    python -m mycelix.cli.docs --write     (rewrites docs/cli.md; without --write: stdout)

The help is rendered at a fixed 80 columns without colour, so the file is the same on
every machine; tests/cli/test_help.py fails when the committed file differs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main
from typer import rich_utils

WIDTH = 80
REGENERATE = "python -m mycelix.cli.docs --write"
DOCS_PATH = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
# Rich and Typer read these; fixed so the text does not depend on the terminal.
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HELP_ENV = {"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": str(WIDTH), "NO_COLOR": "1"}


def commands() -> Iterator[tuple[list[str], Any]]:
    """Every command and subcommand of `mycelix`, as (path of names, command), in order."""
    from mycelix.cli.main import app

    def walk(path: list[str], command: Any) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        # Typer vendors its own click: groups are recognised by their commands.
        subcommands: dict[str, Any] = getattr(command, "commands", {})
        for name, sub in subcommands.items():
            yield from walk([*path, name], sub)

    yield from walk([], typer.main.get_command(app))


def help_text(path: list[str]) -> str:
    """`mycelix PATH --help` as a new user sees it at 80 columns."""
    from typer.testing import CliRunner

    from mycelix.cli.main import app

    # Typer reads TERMINAL_WIDTH and FORCE_COLOR/GITHUB_ACTIONS once, at import: pinned
    # here, so a CI runner or a wide terminal renders the same text as a laptop.
    saved = rich_utils.MAX_WIDTH, rich_utils.FORCE_TERMINAL
    rich_utils.MAX_WIDTH, rich_utils.FORCE_TERMINAL = WIDTH, False
    try:
        result = CliRunner().invoke(app, [*path, "--help"], env=HELP_ENV, prog_name="mycelix")
    finally:
        rich_utils.MAX_WIDTH, rich_utils.FORCE_TERMINAL = saved
    if result.exit_code != 0:
        raise RuntimeError(f"mycelix {' '.join(path)} --help failed: {result.output}")
    text = ANSI.sub("", result.output)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def render() -> str:
    parts = [
        "# The `mycelix` command line",
        "",
        f"<!-- Generated from each command's --help: do not edit; run `{REGENERATE}`. -->",
        "",
        "Every command's `--help`, at 80 columns. Settings flags (`--data-dir`, `--rpc-url`,",
        "...) also come from `MYCELIX_*` variables and the config file `mycelix init` writes",
        "(see configuration.md).",
    ]
    for path, _ in commands():
        name = " ".join(["mycelix", *path])
        parts += ["", f"## `{name}`", "", "```text", help_text(path), "```"]
    return "\n".join(parts) + "\n"


def regenerate(root: Path) -> Path | None:
    """Rewrite checkout `root`'s docs/cli.md as `root`'s own code renders it now; None (nothing
    written) if it has none. A fresh interpreter renders it, with `root/src` first on its path:
    this process built its commands' help at import (`upload --strategy` lists the strategies
    the registry found then), so it would render a strategy just scaffolded into `root` as
    missing, and its `mycelix` may not be `root`'s at all (an installed copy)."""
    path = root / "docs" / "cli.md"
    if not path.is_file():
        return None
    env = {**os.environ, **HELP_ENV, "PYTHONIOENCODING": "utf-8"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "src"), os.environ.get("PYTHONPATH", "")) if p
    )
    done = subprocess.run(
        [sys.executable, "-m", "mycelix.cli.docs"],
        cwd=root,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{REGENERATE} failed in {root}:\n{done.stderr[-2000:]}")
    path.write_text(done.stdout)
    return path


def main(argv: list[str]) -> int:
    os.environ.update(HELP_ENV)
    text = render()
    if argv == ["--write"]:
        DOCS_PATH.write_text(text)
        print(f"wrote {DOCS_PATH}", file=sys.stderr)
    elif not argv:
        sys.stdout.write(text)
    else:
        print(f"usage: {REGENERATE}  (or without --write: print to stdout)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

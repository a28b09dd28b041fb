"""Help reads well at 80 columns, and docs/cli.md is the commands' current `--help`."""

from __future__ import annotations

import difflib
import re

import pytest
from typer.testing import CliRunner

from mycelix.cli import docs
from mycelix.cli.main import app

runner = CliRunner()
PATHS = [path for path, _ in docs.commands()]


def listing_rows(text: str) -> dict[str, str]:
    """The 'Commands' box of a help screen: command name -> its one-line help."""
    rows: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if re.match(r"^[╭+].*Commands", line):
            inside = True
        elif inside and line.startswith(("╰", "+")):
            inside = False
        elif inside:
            inner = line[1:-1]  # inside the box: " name  summary" or "        more"
            name, _, summary = inner.strip().partition(" ")
            if inner[1:2].strip():
                rows[name] = summary.strip()
            else:
                # A continuation row: a docstring whose first paragraph spans lines.
                last = next(reversed(rows))
                rows[last] += "\n" + inner.strip()
    return rows


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(["mycelix", *p]))
def test_help_fits_80_columns(path: list[str]) -> None:
    text = docs.help_text(path)
    too_wide = [line for line in text.splitlines() if len(line) > docs.WIDTH]
    assert not too_wide, f"mycelix {' '.join(path)} --help: lines over 80 columns: {too_wide}"


@pytest.mark.parametrize("path", [p for p, c in docs.commands() if hasattr(c, "commands")],
                         ids=lambda p: " ".join(["mycelix", *p]))  # fmt: skip
def test_every_listed_summary_is_a_whole_sentence(path: list[str]) -> None:
    rows = listing_rows(docs.help_text(path))
    assert rows, "no Commands box found"
    for name, summary in rows.items():
        # Click cuts a docstring's first paragraph at ~45 characters and adds "...";
        # a summary is whole when it is one short sentence ending in a period.
        whole = "\n" not in summary and summary.endswith(".") and not summary.endswith("...")
        assert whole, (
            f"mycelix {' '.join([*path, name])}: summary {summary!r} is cut mid-sentence;"
            " make the docstring's first line one short sentence"
        )


def test_unknown_command_is_one_error_and_exit_2() -> None:
    result = runner.invoke(app, ["frobnicate"], env=docs.HELP_ENV)
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def test_docs_cli_md_is_current() -> None:
    committed = docs.DOCS_PATH.read_text() if docs.DOCS_PATH.exists() else ""
    current = docs.render()
    if committed != current:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "docs/cli.md (committed)",
                "--help (now)",
                n=1,
            )
        )
        pytest.fail(f"docs/cli.md is stale; regenerate it with `{docs.REGENERATE}`\n{diff[:3000]}")
    assert docs.REGENERATE in committed.splitlines()[2]

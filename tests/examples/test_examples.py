"""Every example runs as a user would run it and ends with its own assertions passing; each runs
twice on one data directory, as the examples README promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mycelix.strategies import registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
TIMEOUT = 120


def run(script: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(data_dir)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MYCELIX_")},
    )


def test_there_is_one_example_per_strategy() -> None:
    folders = {type(s).__module__.split(".")[-2] for s in registry.all_strategies()}
    assert sorted(f"{folder}.py" for folder in folders) == SCRIPTS
    readme = (EXAMPLES / "README.md").read_text()
    assert all(f"`{script}`" in readme for script in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_and_its_checks_pass(script: str, tmp_path: Path) -> None:
    for _ in range(2):
        result = run(script, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().splitlines()[-1].startswith("OK:"), result.stdout

"""`mycelix demo`, in-process: a short economy on a fresh data directory passes its conservation
checks, a second run on the same directory continues it with new songs, and a failed check
makes the command exit non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mycelix.cli.main import app
from mycelix.demo import ledger

runner = CliRunner()
CHECKS = ("PASS FLOW conserved", "PASS router holds what it owes", "PASS event replay exact")


def demo(data_dir: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["demo", "--data-dir", str(data_dir), "--weeks", "1", *extra])
    return result.exit_code, result.output


def test_two_runs_on_one_data_dir_both_conserve_flow(tmp_path: Path) -> None:
    code, out = demo(tmp_path, "--listeners", "5")
    assert code == 0, out
    assert "run 1 on the embedded chain" in out
    assert all(check in out for check in CHECKS), out
    assert "conservation: OK" in out and "FAIL" not in out
    assert "sold out at" in out  # the auction sells out
    assert "Mycelial Network" in out and "(take" not in out

    code, out = demo(tmp_path, "--listeners", "5", "--seed", "11")
    assert code == 0, out
    assert "run 2 on the embedded chain" in out
    assert "Catalogue of run 2" in out and "(take" in out  # new songs, new ids
    assert all(check in out for check in CHECKS), out
    assert "conservation: OK" in out and "FAIL" not in out


def test_a_failed_check_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_check = ledger.check

    def broken(*args: object, **kwargs: object) -> list[ledger.Check]:
        checks = real_check(*args, **kwargs)  # type: ignore[arg-type]
        return [*checks, ledger.Check("planted failure", False, "for the test")]

    monkeypatch.setattr(ledger, "check", broken)
    code, out = demo(tmp_path, "--listeners", "3")
    assert code == 1, out
    assert "FAIL planted failure" in out
    assert "conservation: FAILED" in out


def test_too_few_listeners_is_refused_before_anything_runs(tmp_path: Path) -> None:
    code, _ = demo(tmp_path, "--listeners", "2")
    assert code == 2
    assert not (tmp_path / "chain").exists()

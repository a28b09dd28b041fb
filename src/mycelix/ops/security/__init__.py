"""`mycelix security`: dependency audit, bandit, a secret scan, the contracts' compiler warnings
and conventions, and configuration checks. Every check runs (one that cannot is reported "not
checked" with the reason); `fail_on` decides which findings fail the run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import mycelix
from mycelix.config import Settings
from mycelix.ops.security.contracts import compiler_warnings, natspec_and_reasons
from mycelix.ops.security.model import CHECKS, Finding, Outcome, Ran, SecurityReport, Severity
from mycelix.ops.security.scanners import audit_dependencies, run_bandit, scan_secrets
from mycelix.ops.security.settings_checks import configuration

__all__ = [
    "CHECKS",
    "Finding",
    "Outcome",
    "Ran",
    "SecurityReport",
    "Severity",
    "package_dir",
    "run_security",
]


def package_dir(tree: Path) -> Path:
    """The `mycelix` package in a source tree, else the installed one."""
    candidate = tree / "src" / "mycelix"
    return candidate if candidate.is_dir() else Path(mycelix.__file__).resolve().parent


def run_security(
    tree: Path,
    settings: Settings,
    *,
    fail_on: Severity = Severity.HIGH,
    only: Iterable[str] | None = None,
    audit_env: dict[str, str] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> SecurityReport:
    package = package_dir(tree)
    contracts = package / "contracts"
    runners: dict[str, Callable[[], Outcome]] = {
        "dependencies": lambda: audit_dependencies(env=audit_env),
        "bandit": lambda: run_bandit(package),
        "secrets": lambda: scan_secrets(tree),
        "contract compiler": lambda: compiler_warnings(contracts),
        "contract conventions": lambda: natspec_and_reasons(contracts),
        "configuration": lambda: configuration(settings),
    }
    chosen = set(only) if only else set(CHECKS)
    unknown = chosen - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown check {sorted(unknown)[0]!r} (one of {', '.join(CHECKS)})")
    outcomes = []
    for name in CHECKS:
        if name not in chosen:
            continue
        try:
            outcome = runners[name]()
        except Exception as exc:
            outcome = Outcome(name, Ran.NOT_CHECKED, note=f"failed: {type(exc).__name__}: {exc}")
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return SecurityReport(outcomes, fail_on)

"""The scanners `mycelix security` drives: pip-audit (dependencies), bandit (the package's
Python) and detect-secrets (the tree). Each is optional (`pip install 'mycelix[security]'`); a
missing tool or an unreachable vulnerability database is reported as "not checked", never as
clean."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from mycelix.chain.embedded import derive_dev_accounts
from mycelix.ops.security.model import Finding, Outcome, Ran, Severity

INSTALL_HINT = "install it with: pip install 'mycelix[security]'"
AUDIT_TIMEOUT_S = 600
# Directories that are never part of the tree's own content.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        "build",
        "dist",
    }
)
# Content ids (CIDv1 base32, CIDv0 base58) look random and are public by design.
_CID = re.compile(r"^(baf[a-z2-7]{50,}|Qm[1-9A-HJ-NP-Za-km-z]{44})(/.*)?$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


def _missing(module: str, check: str) -> Outcome | None:
    if importlib.util.find_spec(module) is None:
        return Outcome(check, Ran.NOT_CHECKED, note=f"{module} is not installed; {INSTALL_HINT}")
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def audit_dependencies(env: dict[str, str] | None = None, timeout_s: int = 15) -> Outcome:
    """pip-audit of the environment mycelix runs in, against PyPI's vulnerability data."""
    check = "dependencies"
    if (missing := _missing("pip_audit", check)) is not None:
        return missing
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--local",
            "--timeout",
            str(timeout_s),
        ],
        capture_output=True,
        text=True,
        timeout=AUDIT_TIMEOUT_S,
        env={**os.environ, **(env or {})},
    )
    try:
        report = json.loads(run.stdout)
    except ValueError:
        reason = _last_line(run.stderr)
        unreachable = any(
            word in run.stderr
            for word in ("ConnectionError", "ProxyError", "Timeout", "Max retries")
        )
        what = "the vulnerability database is unreachable" if unreachable else "pip-audit failed"
        return Outcome(check, Ran.NOT_CHECKED, note=f"{what}: {reason}")
    audited = [d for d in report.get("dependencies", []) if "vulns" in d]
    skipped = [d for d in report.get("dependencies", []) if "skip_reason" in d]
    if not audited:
        return Outcome(
            check,
            Ran.NOT_CHECKED,
            note=f"the vulnerability database answered for none of {len(skipped)} packages "
            f"(e.g. {skipped[0]['skip_reason'] if skipped else 'no packages found'})",
        )
    findings = [
        Finding(
            Severity.HIGH,
            f"{d['name']} {d['version']}: {v['id']}"
            + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else ""),
            d["name"],
        )
        for d in audited
        for v in d["vulns"]
    ]
    note = f"{len(audited)} packages audited"
    if skipped:
        note += f", {len(skipped)} could not be (not on the vulnerability database)"
    return Outcome(check, Ran.CHECKED, findings, note)


def run_bandit(package: Path) -> Outcome:
    """bandit on the package's Python sources, severities as bandit rates them."""
    check = "bandit"
    if (missing := _missing("bandit", check)) is not None:
        return missing
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(package), "-f", "json", "-q"],
        capture_output=True,
        text=True,
        timeout=AUDIT_TIMEOUT_S,
    )
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return Outcome(check, Ran.NOT_CHECKED, note=f"bandit failed: {_last_line(run.stderr)}")
    findings = [
        Finding(
            Severity.parse(r["issue_severity"]),
            f"{r['test_id']} {r['issue_text']} (confidence {r['issue_confidence'].lower()})",
            f"{_relative(Path(r['filename']), package.parent)}:{r['line_number']}",
        )
        for r in report.get("results", [])
    ]
    for error in report.get("errors", []):
        findings.append(
            Finding(
                Severity.LOW,
                f"bandit could not parse: {error.get('reason')}",
                str(error.get("filename", "")),
            )
        )
    return Outcome(check, Ran.CHECKED, findings, f"{package}")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def tree_files(root: Path) -> Iterator[Path]:
    """The tree's files: what git tracks (plus untracked, unignored files) in a checkout,
    otherwise every file outside virtualenvs, caches and VCS folders."""
    if (root / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            timeout=60,
        )
        if listed.returncode == 0:
            for name in listed.stdout.decode().split("\0"):
                if name and (root / name).is_file():
                    yield root / name
            return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            yield Path(dirpath) / name


def _public_values() -> frozenset[str]:
    """Values that look secret but are published: the dev mnemonic's private keys."""
    keys = {a.private_key.hex().removeprefix("0x").lower() for a in derive_dev_accounts(10)}
    return frozenset(keys)


def scan_secrets(root: Path) -> Outcome:
    """detect-secrets over the tree, without the published dev keys, content ids, environment
    variable names, and keyword hits in tests (whose fake passwords are there on purpose)."""
    check = "secrets"
    if (missing := _missing("detect_secrets", check)) is not None:
        return missing
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    public = _public_values()
    collection = SecretsCollection()
    files = 0
    with default_settings():
        for path in tree_files(root):
            if path.suffix in {".wav", ".mp3", ".flac", ".png", ".jpg", ".sqlite3"}:
                continue
            files += 1
            try:
                collection.scan_file(str(path))
            except (OSError, UnicodeDecodeError):
                continue  # unreadable or binary: nothing a text scan can say
    findings = []
    for filename, secret in collection:
        value = (secret.secret_value or "").strip()
        normalized = value.lower().removeprefix("0x")
        relative = _relative(Path(filename), root)
        in_tests = relative.startswith("tests/") or "/tests/" in relative
        if normalized in public or _CID.match(value):
            continue
        # A keyword hit whose value names an environment variable is a reference, not a value.
        if secret.type == "Secret Keyword" and (in_tests or _ENV_NAME.match(value)):
            continue
        severity = Severity.CRITICAL if "Private Key" in secret.type else Severity.HIGH
        if in_tests and "High Entropy" in secret.type:
            severity = Severity.LOW  # test vectors and fixtures; specific detectors stay high
        findings.append(
            Finding(severity, f"possible secret: {secret.type}", f"{relative}:{secret.line_number}")
        )
    return Outcome(
        check, Ran.CHECKED, sorted(findings, key=lambda f: f.location), f"{files} files scanned"
    )

"""`mycelix security` run as an operator would: the project's own tree passes at the default
threshold; planted problems in a temporary copy (a secret, `*` CORS, a missing NatSpec, a revert
reason without its contract, a shell injection) are each found and fail the run; an unreachable
vulnerability database is reported as "not checked", never as clean."""

from __future__ import annotations

import json
import secrets
import shutil
import string
from pathlib import Path

import pytest

from mycelix.chain.embedded import derive_dev_accounts
from mycelix.config import Settings
from mycelix.ops.security import CHECKS, Ran, Severity
from mycelix.ops.security.settings_checks import configuration
from tests.support.anvil import free_port

from .support import mycelix

ROOT = Path(__file__).resolve().parents[2]
# Everything but the dependency audit, whose answer depends on the network (tested below).
OFFLINE = [c for c in CHECKS if c != "dependencies"]


def only(*checks: str) -> list[str]:
    return [arg for check in checks for arg in ("--only", check)]


def findings(report: dict, check: str) -> list[dict]:
    return next(c for c in report["checks"] if c["check"] == check)["findings"]


def test_the_project_tree_passes_at_the_default_threshold() -> None:
    result = mycelix("security", "--path", str(ROOT), *only(*OFFLINE), "--json", timeout=600)
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(
        [f for c in report["checks"] for f in c["findings"] if f["severity"] != "low"], indent=1
    )
    assert report["ok"] and report["fail_on"] == "high" and report["not_checked"] == []
    assert [c["check"] for c in report["checks"]] == OFFLINE


def fake_aws_key_id() -> str:
    """Made at run time: a literal here would be a planted secret in the real tree."""
    return "AKIA" + "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)
    )


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A copy of the package with one problem of each kind."""
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "src" / "mycelix",
        tree / "src" / "mycelix",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    package = tree / "src" / "mycelix"
    (package / "ops" / "leak.py").write_text(
        "import subprocess\n\n"
        f'private_key = "{secrets.token_hex(32)}"\n'
        f'AWS_ACCESS_KEY_ID = "{fake_aws_key_id()}"\n\n\n'
        "def run(command: str) -> None:\n"
        "    subprocess.call(command, shell=True)\n"
    )
    router = package / "contracts" / "EconomicStrategyRouter.vy"
    source = router.read_text()
    natspec = "@dev Emergency stop of payments. Owner only. Withdrawals stay open."
    source = source.replace(
        f'    """\n    {natspec}\n    """\n',
        "",
        1,
    )
    source = source.replace('"router: already paused"', '"already paused"', 1)
    router.write_text(source)
    return tree


def test_planted_problems_are_each_found(planted: Path) -> None:
    result = mycelix(
        "security",
        "--path",
        str(planted),
        *only(*(c for c in OFFLINE if c != "contract compiler")),
        "--json",
        env={"MYCELIX_CORS_ORIGINS": "*"},
        timeout=600,
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    leaks = [
        f
        for f in findings(report, "secrets")
        if f["location"].startswith("src/mycelix/ops/leak.py")
    ]
    assert {f["location"] for f in leaks} == {
        "src/mycelix/ops/leak.py:3",
        "src/mycelix/ops/leak.py:4",
    }
    assert all(f["severity"] == "high" for f in leaks)
    assert findings(report, "secrets") == leaks  # nothing else in the package
    conventions = {(f["location"], f["message"]) for f in findings(report, "contract conventions")}
    assert any(
        loc.startswith("EconomicStrategyRouter.vy:")
        and msg == "pause: external function without NatSpec"
        for loc, msg in conventions
    )
    assert any(
        msg == "revert reason 'already paused' does not name its contract" for _, msg in conventions
    )
    assert len(conventions) == 2
    cors = findings(report, "configuration")
    assert [(f["severity"], f["location"]) for f in cors] == [("high", "MYCELIX_CORS_ORIGINS")]
    shell = [f for f in findings(report, "bandit") if f["message"].startswith("B602")]
    assert shell and shell[0]["severity"] == "high"
    assert (
        result.stderr.strip().startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    )


def test_fail_on_decides_the_exit_code(tmp_path: Path) -> None:
    env = {"MYCELIX_CORS_ORIGINS": "*"}
    args = ["security", "--path", str(tmp_path), "--only", "configuration"]
    assert mycelix(*args, "--fail-on", "high", env=env).returncode == 1
    assert mycelix(*args, "--fail-on", "critical", env=env).returncode == 0
    assert mycelix(*args, env=env).returncode == 1  # the default threshold is high
    assert mycelix(*args).returncode == 0  # no CORS wildcard: nothing found


def test_an_unreachable_vulnerability_database_is_not_checked(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = mycelix(
        "security",
        "--path",
        str(tmp_path),
        "--only",
        "dependencies",
        "--json",
        env={
            "HTTPS_PROXY": closed,
            "HTTP_PROXY": closed,
            "NO_PROXY": "",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["not_checked"] == ["dependencies"]
    note = report["checks"][0]["note"]
    assert note.startswith("the vulnerability database is unreachable: "), note
    human = mycelix(
        "security",
        "--path",
        str(tmp_path),
        "--only",
        "dependencies",
        env={
            "HTTPS_PROXY": closed,
            "HTTP_PROXY": closed,
            "NO_PROXY": "",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
        timeout=600,
    )
    assert "dependencies: not checked" in human.stdout


def test_a_dev_key_is_refused_where_the_chain_cannot_be_shown_to_be_a_dev_chain() -> None:
    dev_key = "0x" + derive_dev_accounts(1)[0].private_key.hex().removeprefix("0x")
    closed = f"http://127.0.0.1:{free_port()}"
    outcome = configuration(Settings(rpc_url=closed, private_key=dev_key), environ={})
    assert outcome.ran is Ran.CHECKED
    assert [(f.severity, f.location) for f in outcome.findings] == [
        (Severity.HIGH, "MYCELIX_PRIVATE_KEY")
    ]
    embedded = configuration(Settings(private_key=dev_key), environ={})
    assert embedded.findings == []
    debug = configuration(Settings(), environ={"MYCELIX_DEBUG": "1"})
    assert [f.severity for f in debug.findings] == [Severity.HIGH]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "extreme"], "unknown severity 'extreme'"),
        (["--only", "antivirus"], "unknown check 'antivirus'"),
        (["--path", "/nonexistent/tree"], "is not a directory"),
    ],
)
def test_bad_options_are_one_error_line(args: list[str], message: str) -> None:
    result = mycelix("security", *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr

"""`mycelix monitor`: the files it writes load in promtool, every alert has a unit test that
shows it firing and staying quiet (and the tests catch a broken rule), and every rule and panel
names only series the service exposes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from mycelix.ops.metrics import sample_names
from mycelix.ops.monitor import ALERTS, FILES
from mycelix.ops.monitor.promql import series_names

from .support import mycelix, require_tool

# Prometheus records `up` itself for every scrape of the job.
SCRAPE_SERIES = {"up"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monitor") / "monitoring"
    result = mycelix("monitor", "--out", str(out), "--target", "10.0.0.5:8000", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [Path(p).name for p in report["files"]] == list(FILES)
    return out


def rule_exprs(out: Path) -> dict[str, str]:
    groups = yaml.safe_load((out / "alerts.yml").read_text())["groups"]
    return {r["alert"]: r["expr"] for g in groups for r in g["rules"]}


def panel_exprs(out: Path) -> dict[str, str]:
    board = json.loads((out / "grafana-dashboard.json").read_text())
    return {
        p["title"]: t["expr"] for p in board["panels"] if p["type"] != "row" for t in p["targets"]
    }


def test_rules_and_panels_name_only_series_the_service_exposes(written: Path) -> None:
    exposed = sample_names() | SCRAPE_SERIES
    exprs = {**rule_exprs(written), **panel_exprs(written)}
    assert len(exprs) >= 7 + 20
    for title, expr in exprs.items():
        names = series_names(expr)
        assert names, f"{title}: selects nothing"
        assert names <= exposed, f"{title}: {sorted(names - exposed)} are not exposed"


def test_the_alerts_cover_what_operators_need(written: Path) -> None:
    alerts = rule_exprs(written)
    covered = {
        "error rate": "MycelixHighErrorRate",
        "latency": "MycelixSlowRequests",
        "indexer lag": "MycelixIndexerLagging",
        "chain RPC errors": "MycelixChainRpcErrors",
        "payment failures": "MycelixPaymentFailures",
        "disk": "MycelixDiskLow",
    }
    assert set(covered.values()) <= set(alerts)


def test_series_names_ignores_functions_labels_and_durations() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{route!~"/a|b", le="+Inf"}'
        "[5m] offset 1h))) / on(job) group_left(version) y_info > bool 1e3 and z"
    )
    assert series_names(expr) == {"x_bucket", "y_info", "z"}
    assert series_names('sum(rate(a_total{status=~"5.."}[5m])) or vector(0)') == {"a_total"}


def test_promtool_checks_and_unit_tests_pass(written: Path) -> None:
    promtool = require_tool("promtool", "checks the monitoring configuration")
    for args in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ):
        run = subprocess.run([promtool, *args], cwd=written, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    tests = yaml.safe_load((written / "alerts.test.yml").read_text())["tests"]
    for alert in ALERTS:
        cases = {
            bool(case["alert_rule_test"][0]["exp_alerts"])
            for case in tests
            if case["alert_rule_test"][0]["alertname"] == alert.name
        }
        assert cases == {True, False}, f"{alert.name} needs a firing and a quiet case"


def test_the_unit_tests_catch_a_broken_rule(written: Path, tmp_path: Path) -> None:
    promtool = require_tool("promtool", "checks the monitoring configuration")
    for name in ("alerts.yml", "alerts.test.yml"):
        (tmp_path / name).write_text((written / name).read_text())
    rules = yaml.safe_load((tmp_path / "alerts.yml").read_text())
    lag = next(r for r in rules["groups"][0]["rules"] if r["alert"] == "MycelixIndexerLagging")
    lag["expr"] = lag["expr"].replace("> 20", "> 0")  # now the quiet case fires
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules))
    run = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert "MycelixIndexerLagging" in run.stdout + run.stderr


def test_the_configuration_follows_the_options(written: Path) -> None:
    prometheus = yaml.safe_load((written / "prometheus.yml").read_text())
    job = prometheus["scrape_configs"][0]
    assert job["job_name"] == "mycelix" and job["static_configs"][0]["targets"] == ["10.0.0.5:8000"]
    assert prometheus["rule_files"] == ["alerts.yml"]
    alertmanager = yaml.safe_load((written / "alertmanager.yml").read_text())
    assert alertmanager["receivers"] == [{"name": "operators"}]
    assert "sent nowhere" in (written / "alertmanager.yml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "no-port"], "'no-port' is not HOST:PORT"),
        (["--scrape-interval", "often"], "--scrape-interval 'often'"),
        (["--webhook-url", "ftp://x"], "not an http(s) URL"),
    ],
)
def test_bad_options_are_one_error_line_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "monitoring"
    result = mycelix("monitor", "--out", str(out), *args)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {result.stderr.strip()[7:]}"]
    assert message in result.stderr
    assert not out.exists()


def test_an_unwritable_out_is_one_error_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = mycelix("monitor", "--out", str(blocker / "monitoring"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "error:" in result.stderr

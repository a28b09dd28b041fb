"""`mycelix check` run as an operator would: all seven stages pass against a running
`mycelix serve`; with a stopped dependency that stage fails, the others still run, and the exit
is non-zero with one error line."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

from mycelix.config import Settings
from mycelix.ops.check import CheckContext, Status, run_check
from mycelix.ops.check.stages import STAGES, p95
from tests.support.anvil import free_port

from .support import mycelix, redis_server, running_serve

STAGE_NAMES = [name for name, _ in STAGES]


def stages_of(stdout: str) -> dict[str, dict]:
    report = json.loads(stdout)
    assert [s["name"] for s in report["stages"]] == STAGE_NAMES
    return {s["name"]: s for s in report["stages"]}


def probe(stage: dict, name: str) -> dict:
    return next(p for p in stage["probes"] if p["name"] == name)


def test_all_seven_stages_pass_against_a_running_service(tmp_path: Path) -> None:
    # A generous latency budget: this checks that every stage runs and passes on a healthy
    # node, on a test machine busy with the rest of the suite; an impossible one (1 ms over
    # HTTP) shows the budget is enforced.
    with running_serve(tmp_path) as url:
        common = ("--url", url, "--data-dir", str(tmp_path))
        result = mycelix("check", *common, "--budget-ms", "5000", "--json")
        table = mycelix("check", *common, "--budget-ms", "5000", "--samples", "5")
        strict = mycelix("check", *common, "--budget-ms", "1", "--samples", "3", "--json")
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["failed"] == ["latency"]
    assert result.returncode == 0, result.stdout + result.stderr
    stages = stages_of(result.stdout)
    assert {name: s["status"] for name, s in stages.items()} == dict.fromkeys(STAGE_NAMES, "pass")
    assert probe(stages["dependencies"], "redis")["status"] in {"skip", "pass"}
    contracts = {p["name"] for p in stages["contracts"]["probes"]}
    assert {
        "code EconomicStrategyRouter",
        "router owner",
        "router token",
        "CGC minter",
    } <= contracts
    assert {f"strategy {s}" for s in ("pay-per-stream-v1", "dutch-auction-v1")} <= contracts
    assert "at head" in probe(stages["database"], "migration")["detail"]
    # The human form ends with the summary table.
    assert table.returncode == 0, table.stdout + table.stderr
    assert (
        "[7/7] latency" in table.stdout and "7 latency" in table.stdout.split("mycelix check")[-1]
    )


def test_a_stopped_dependency_fails_its_stage_and_the_rest_still_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with (
        redis_server(tmp_path) as (redis_url, redis_proc),
        running_serve(data, MYCELIX_REDIS_URL=redis_url) as url,
    ):
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        result = mycelix(
            "check",
            "--url",
            url,
            "--data-dir",
            str(data),
            "--json",
            env={"MYCELIX_REDIS_URL": redis_url},
        )
    assert result.returncode == 1
    stages = stages_of(result.stdout)
    deps = stages["dependencies"]
    assert deps["status"] == "fail"
    assert probe(deps, "redis")["status"] == "fail"
    assert probe(deps, "database")["status"] == "pass" and probe(deps, "chain")["status"] == "pass"
    # The service itself says it is not ready, and why.
    assert stages["service"]["status"] == "fail"
    assert "state" in probe(stages["service"], "/ready")["detail"]
    # Every later stage ran: those that need no Redis pass; the API's read routes depend on
    # it (their rate limits and caches live there), so they fail and say so.
    for name in ("contracts", "database", "metrics"):
        assert stages[name]["status"] == "pass", stages[name]
    for name in ("routes", "latency"):
        assert stages[name]["probes"], f"{name} did not run"
    failed = json.loads(result.stdout)["failed"]
    assert result.stderr.strip().splitlines() == [f"error: check failed: {', '.join(failed)}"]
    assert failed[:2] == ["dependencies", "service"]


def test_no_service_at_all_is_reported_stage_by_stage(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = mycelix("check", "--url", url, "--data-dir", str(tmp_path / "missing"), "--json")
    assert result.returncode == 1
    stages = stages_of(result.stdout)
    assert all(s["status"] == "fail" for s in stages.values())
    assert "no catalogue database" in probe(stages["dependencies"], "database")["detail"]
    assert "no deployment manifest" in probe(stages["contracts"], "error")["detail"]
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: check failed: dependencies, service, contracts")


def test_p95_is_the_nearest_rank() -> None:
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0
    assert p95([1.0, 2.0]) == 2.0


def test_another_program_on_the_port_fails_the_service_stage_clearly(tmp_path: Path) -> None:
    """A web server that is not Mycelix (HTML everywhere): every probe fails, none crashes."""

    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>welcome to nginx</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ctx = CheckContext(Settings(data_dir=tmp_path), f"http://127.0.0.1:{server.server_port}")
        report = run_check(ctx)
    finally:
        server.shutdown()
    stages = {s.name: s for s in report.stages}
    assert [s.name for s in report.stages] == STAGE_NAMES
    service = {p.name: p for p in stages["service"].probes}
    assert all(p.status is Status.FAIL for p in service.values())
    assert "unexpected body: <html>" in service["/health"].detail
    assert stages["metrics"].status is Status.FAIL and not report.ok

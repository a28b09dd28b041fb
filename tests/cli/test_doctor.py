"""`mycelix doctor` on a fresh node, a node with a running chain holder, and broken setups:
every check runs, failures exit 1 and are named."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from typer.testing import CliRunner

from mycelix.chain.connect import open_chain
from mycelix.cli.main import app
from mycelix.config import Settings

runner = CliRunner()
ALL_CHECKS = {
    "config",
    "python",
    "packages",
    "data dir",
    "database",
    "migration",
    "chain",
    "deployment",
    "redis",
    "anvil",
    "audio",
    "port",
}


def doctor(data_dir: Path, *args: str) -> tuple[int, dict[str, dict[str, str]], str]:
    result = runner.invoke(app, ["doctor", "--json", "--data-dir", str(data_dir), *args])
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is (result.exit_code == 0)
    return result.exit_code, checks, result.output


def fresh(tmp_path: Path) -> Path:
    assert runner.invoke(app, ["init", "--data-dir", str(tmp_path)]).exit_code == 0
    return tmp_path


def test_a_fresh_node_is_healthy(tmp_path: Path) -> None:
    code, checks, output = doctor(fresh(tmp_path))
    assert code == 0, output
    assert set(checks) >= ALL_CHECKS - {"anvil"}
    assert checks["migration"]["status"] == "pass"
    assert checks["config"]["detail"].endswith("mycelix.toml parses")
    # No chain before the first start: nothing to check yet, and nothing created.
    assert checks["chain"]["status"] == "skip"
    assert not (tmp_path / "chain").exists()
    table = runner.invoke(app, ["doctor", "--data-dir", str(tmp_path)], env={"COLUMNS": "80"})
    assert table.exit_code == 0 and "migration" in table.output


def test_a_deployed_chain_is_verified_and_a_held_one_is_pointed_at(tmp_path: Path) -> None:
    fresh(tmp_path)
    assert runner.invoke(app, ["deploy", "--data-dir", str(tmp_path)]).exit_code == 0
    code, checks, output = doctor(tmp_path)
    assert code == 0, output
    assert checks["deployment"]["detail"].endswith("matches the chain")
    # A running server holds the embedded chain's lock: say so, and where to look instead.
    with open_chain(Settings(data_dir=tmp_path)):
        code, checks, output = doctor(tmp_path)
    assert code == 0, output
    assert checks["chain"]["detail"].startswith("in use by a running server")
    assert "held by pid" in checks["chain"]["detail"]
    assert "mycelix check --url http://127.0.0.1:8000" in checks["deployment"]["detail"]


def test_every_check_runs_after_failures(tmp_path: Path) -> None:
    fresh(tmp_path)
    (tmp_path / "mycelix.toml").write_text("colour = 'mauve'\n")
    (tmp_path / "catalog.sqlite3").unlink()
    code, checks, _ = doctor(tmp_path)
    assert code == 1
    assert set(checks) >= ALL_CHECKS - {"anvil", "migration"}
    config = checks["config"]
    assert config["status"] == "fail" and "unknown setting colour" in config["detail"]
    database = checks["database"]
    assert database["status"] == "fail" and "run `mycelix init`" in database["detail"]
    assert checks["python"]["status"] == "pass" and checks["audio"]["status"] == "pass"
    result = runner.invoke(app, ["doctor", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: doctor found problems: config, database"
    assert not (tmp_path / "catalog.sqlite3").exists()


def test_a_port_taken_by_another_program_fails(tmp_path: Path) -> None:
    fresh(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"MYCELIX_PORT": str(port)}
        result = runner.invoke(app, ["doctor", "--json", "--data-dir", str(tmp_path)], env=env)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert result.exit_code == 1
    assert checks["port"]["status"] == "fail"
    assert checks["port"]["detail"].startswith(f"127.0.0.1:{port} is taken by another program")


def test_an_unreachable_redis_fails_its_check(tmp_path: Path) -> None:
    fresh(tmp_path)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = runner.invoke(
        app,
        ["doctor", "--json", "--data-dir", str(tmp_path)],
        env={"MYCELIX_REDIS_URL": f"redis://127.0.0.1:{port}/0"},
    )
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert result.exit_code == 1
    assert checks["redis"]["status"] == "fail"
    assert checks["database"]["status"] == "pass"


def test_an_unreachable_chain_node_fails_its_check(tmp_path: Path) -> None:
    fresh(tmp_path)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, checks, _ = doctor(tmp_path, "--rpc-url", f"http://127.0.0.1:{port}")
    assert code == 1
    assert checks["chain"]["status"] == "fail"
    assert checks["chain"]["detail"].startswith(
        f"cannot reach the chain at http://127.0.0.1:{port}"
    )
    assert checks["deployment"]["status"] == "skip"
    assert checks["port"]["status"] == "pass"

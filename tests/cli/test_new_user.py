"""The first minutes of a new operator, as real processes: init, doctor, serve, then
doctor, stats and songs against the running node."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ops.support import free_port, mycelix, running_serve


def test_init_doctor_serve_then_inspect(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    env = {"MYCELIX_DATA_DIR": str(data_dir), "MYCELIX_PORT": str(free_port())}
    init = mycelix("init", env=env)
    assert init.returncode == 0, init.stderr
    assert f"wrote {data_dir / 'mycelix.toml'}" in init.stdout
    first = mycelix("doctor", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    with running_serve(data_dir) as url:
        serving = {"MYCELIX_DATA_DIR": str(data_dir), "MYCELIX_PORT": url.rsplit(":", 1)[1]}
        doctor = mycelix("doctor", "--json", env=serving)
        stats = mycelix("stats", "--json", env=serving)
        songs = mycelix("songs", "list", env=serving)
    report = json.loads(doctor.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert doctor.returncode == 0, doctor.stdout
    assert checks["chain"]["detail"].startswith("in use by a running server")
    assert "held by pid" in checks["chain"]["detail"]
    assert checks["port"]["detail"].endswith("in use by a running mycelix server")
    assert "mycelix check --url" in checks["deployment"]["detail"]
    assert stats.returncode == 0 and json.loads(stats.stdout)["songs"] == 0
    assert songs.returncode == 0 and "no songs yet" in songs.stdout
    broken = mycelix("stats", env={"MYCELIX_DATA_DIR": str(tmp_path / "elsewhere")})
    assert broken.returncode == 1
    assert broken.stderr.startswith("error: no catalogue at")
    assert len(broken.stderr.strip().splitlines()) == 1

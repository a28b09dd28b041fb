"""`mycelix backup` and `mycelix restore` as separate processes, the way an operator or a
systemd timer runs them: environment in, one archive out, exit codes that mean something."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from mycelix.config import Settings
from tests.api.test_replicas import _wait_ready
from tests.support.anvil import free_port

from .support import catalogue_rows, chain_state, fingerprint, flip_byte


def mycelix(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mycelix.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "100", **env},
        check=False,
    )


def test_backup_and_restore_as_an_operator_would(node: Settings, tmp_path: Path) -> None:
    before = fingerprint(node)
    env = {
        "MYCELIX_DATA_DIR": str(node.data_dir),
        "MYCELIX_BACKUP_DIR": str(tmp_path / "backups"),
        "MYCELIX_BACKUP_PASSPHRASE": "a long operator passphrase",
    }
    made = mycelix("backup", "--json", **env)
    assert made.returncode == 0, made.stderr
    archive = Path(json.loads(made.stdout)["archive"])
    assert archive.parent == tmp_path / "backups" and archive.name.endswith(".tar.enc")

    damaged = tmp_path / "damaged.tar.enc"
    shutil.copy(archive, damaged)
    flip_byte(damaged, damaged.stat().st_size // 2)
    refused = mycelix("restore", str(damaged), "--yes", **env)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: ")
    assert "fails authentication" in refused.stderr

    shutil.rmtree(node.data_dir)
    restored = mycelix("restore", str(archive), "--yes", **env)
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout
    assert fingerprint(node) == before


def test_backup_while_serve_runs_and_restore_waits_for_it_to_stop(
    node: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {"MYCELIX_DATA_DIR": str(node.data_dir), "MYCELIX_BACKUP_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--empty", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        # serve holds the chain's flock; the backup reads through SQLite anyway.
        made = mycelix("backup", "--json", **env)
        assert made.returncode == 0, made.stderr
        archive = json.loads(made.stdout)["archive"]
        refused = mycelix("restore", archive, "--yes", **env)
        assert refused.returncode == 1
        assert f"is locked by pid {server.pid}; stop it before restoring" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = json.loads(made.stdout)
    restored = mycelix("restore", archive, "--yes", "--json", **env)
    assert restored.returncode == 0, restored.stderr
    assert chain_state(node)["head"][0] == summary["chain"]["head_number"]
    assert catalogue_rows(node.catalog_url)["songs"]

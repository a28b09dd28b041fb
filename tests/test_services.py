"""CI cannot silently skip: the fixtures start PostgreSQL and Redis when they are installed but
stopped (checked here on throwaway servers, never the shared ones), fail instead of skipping
when MYCELIX_REQUIRE_* says the run must cover them, and `./dev test` fails a run that tests
nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests import redis_server
from tests.catalog import postgres
from tests.require import unavailable
from tests.support.anvil import free_port

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_TOOLS = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters")


@pytest.fixture
def stopped_cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """A Debian PostgreSQL cluster created stopped, on a free port, in a config root of its
    own (PG_CLUSTER_CONF_ROOT, which pg_lsclusters and pg_ctlcluster honour)."""
    if not all(shutil.which(tool) for tool in DEBIAN_TOOLS):
        unavailable("POSTGRES", "Debian's postgresql-common is not installed")
    if os.geteuid() != 0:
        unavailable("POSTGRES", "creating a cluster owned by postgres needs root")
    versions = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: float(p.name))
    # The server runs as postgres: its directories must be reachable by that user.
    root = Path(tempfile.mkdtemp(prefix="mycelix-pg-"))
    root.chmod(0o755)
    monkeypatch.setenv("PG_CLUSTER_CONF_ROOT", str(root / "etc"))
    version, port = versions[-1].name, free_port()
    subprocess.run(
        ["pg_createcluster", "-d", str(root / "data"), "-p", str(port), "-l", str(root / "log"),
         version, "probe", "--", "--auth=trust", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        yield version, port
    finally:
        for cmd in (
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "probe", "stop", "-m", "fast"],
            ["pg_dropcluster", version, "probe"],
        ):
            subprocess.run(cmd, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_the_postgres_fixture_starts_a_stopped_cluster(stopped_cluster: tuple[str, int]) -> None:
    version, port = stopped_cluster
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    assert postgres.cluster_for_port(port) == (version, "probe", "down")
    assert postgres.admin_url(url) == url
    assert postgres.cluster_for_port(port) == (version, "probe", "online")
    database = postgres.create_database(url)
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (database.rsplit("/")[-1],)
    postgres.drop_database(url, database)


def test_no_cluster_on_the_port_is_a_clear_reason() -> None:
    port = free_port()
    with pytest.raises(
        postgres.Unavailable, match=f"no PostgreSQL cluster is configured on port {port}"
    ):
        postgres.admin_url(f"postgresql://postgres@127.0.0.1:{port}/postgres")


def test_the_redis_fixture_starts_a_stopped_server() -> None:
    if shutil.which("redis-server") is None:
        unavailable("REDIS", "redis-server is not installed")
    url = f"redis://127.0.0.1:{free_port()}/0"
    assert redis_server.ping(url) is not None  # nothing there yet
    redis_server.ensure(url)
    try:
        client = redis.Redis.from_url(url)
        client.set("mycelix:probe", "1")
        assert client.get("mycelix:probe") == b"1"
    finally:
        # The server closes the connection as it exits.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(url).shutdown(nosave=True)
    assert redis_server.ping(url) is not None


def fixture_probe(tmp_path: Path, *, required: bool) -> subprocess.CompletedProcess[str]:
    """pytest on a probe test that asks for both servers, at a port where nothing answers and
    with no server binaries on PATH (so neither can be started)."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "def test_needs_both(pg_admin_url, redis_url):\n    assert pg_admin_url and redis_url\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent),
        "MYCELIX_TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
        "MYCELIX_TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        # The probe needs no third-party plugin; loading them all is most of its start-up.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    for service in ("POSTGRES", "REDIS"):
        env.pop(f"MYCELIX_REQUIRE_{service}", None)
        if required:
            env[f"MYCELIX_REQUIRE_{service}"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "--rootdir", str(ROOT), str(probe)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_required_servers_fail_instead_of_skipping(tmp_path: Path) -> None:
    skipped = fixture_probe(tmp_path, required=False)
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    failed = fixture_probe(tmp_path, required=True)
    assert failed.returncode == 1 and "1 error" in failed.stdout, failed.stdout
    assert "PostgreSQL required (MYCELIX_REQUIRE_POSTGRES=1) but unavailable" in failed.stdout


def test_dev_test_under_ci_requires_the_servers_and_fails_an_empty_run() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYCELIX_REQUIRE_")}
    done = subprocess.run(
        ["./dev", "test", "tests/test_services.py", "-k", "no_test_has_this_name"],
        cwd=ROOT, env={**env, "CI": "true"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "servers: PostgreSQL required, Redis required, anvil required" in done.stdout
    assert done.returncode == 1  # pytest's 5, "no tests ran", is a failure
    assert "no tests were collected" in done.stderr

"""`mycelix doctor`: diagnose the local setup, one check at a time, every check run.

Each check returns a `Probe` (the model `mycelix check` reports with): pass, fail, or skip
when there is nothing to check yet (a fresh node has no chain before its first start).
A check that raises is reported as failing with the exception's message, so one broken
part never hides the state of the others. Nothing here writes to the node: the embedded
chain is opened only when its file exists, and a database file is never created.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import ipaddress
import os
import platform
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from mycelix.config import CONFIG_FILENAME, Settings
from mycelix.ops.check.model import Probe

MIN_FREE_BYTES = 1 << 30
PACKAGES = ("mycelix", "web3", "py-evm", "vyper", "fastapi", "sqlalchemy", "typer")


def python_and_packages(settings: Settings) -> Iterator[Probe]:
    ok = sys.version_info >= (3, 11)
    yield Probe.expect(
        "python", ok, f"{platform.python_version()}" + ("" if ok else " (3.11 or newer needed)")
    )
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            yield Probe.fail(f"package {name}", "not installed (pip install -e .)")
    yield Probe.ok("packages", ", ".join(versions))


def data_dir(settings: Settings) -> Iterator[Probe]:
    path = settings.data_dir
    if not path.is_dir():
        yield Probe.fail("data dir", f"{path} does not exist (run `mycelix init`)")
        return
    if not os.access(path, os.W_OK | os.X_OK):
        yield Probe.fail("data dir", f"{path} is not writable by this user")
        return
    free = shutil.disk_usage(path).free
    detail = f"{path}, {free / (1 << 30):.1f} GiB free"
    yield Probe.expect(
        "data dir",
        free >= MIN_FREE_BYTES,
        detail + ("" if free >= MIN_FREE_BYTES else " (under 1 GiB)"),
    )


def config_file(settings: Settings, error: str | None) -> Iterator[Probe]:
    if error is not None:
        yield Probe.fail("config", error)
        return
    path = settings.config or settings.data_dir / CONFIG_FILENAME
    if path.is_file():
        yield Probe.ok("config", f"{path} parses")
    else:
        yield Probe.skip("config", f"no {path}: defaults apply (`mycelix init` writes one)")


def database(settings: Settings) -> Iterator[Probe]:
    from sqlalchemy import text

    from mycelix.catalog.db import create_engine, normalize_url
    from mycelix.catalog.migrate import current_revision, head_revision

    url = normalize_url(settings.catalog_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        yield Probe.fail("database", f"no catalogue at {url.database} (run `mycelix init`)")
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
    finally:
        engine.dispose()
    yield Probe.ok("database", f"{shown} answers")
    head = head_revision()
    yield Probe.expect(
        "migration",
        current == head,
        f"at head {head}"
        if current == head
        else f"at {current}, head is {head} (`mycelix init` or a restart of serve migrates)",
    )


def chain(settings: Settings) -> Iterator[Probe]:
    from mycelix.chain.connect import open_chain
    from mycelix.chain.embedded import ChainLockedError
    from mycelix.chain.manifest import Manifest

    if settings.embedded and not (settings.chain_dir / "chain.sqlite3").is_file():
        yield Probe.skip(
            "chain", f"no embedded chain in {settings.chain_dir} yet (serve creates it)"
        )
        yield Probe.skip("deployment", "nothing deployed yet (`mycelix deploy` or serve does it)")
        return
    try:
        opened = open_chain(settings)
    except ChainLockedError as exc:
        # A running server holds the embedded chain: that is the normal state of a live node.
        yield Probe.ok("chain", f"in use by a running server: {exc}".split(";")[0])
        yield Probe.skip(
            "deployment",
            f"chain held by the server; verify it with `mycelix check --url "
            f"http://{_loopback(settings.host)}:{settings.port}`",
        )
        return
    except Exception as exc:
        yield Probe.fail("chain", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        yield Probe.skip("deployment", "the chain did not answer")
        return
    with opened:
        w3 = opened.w3
        where = f"embedded ({settings.chain_dir})" if opened.embedded else str(settings.rpc_url)
        yield Probe.ok("chain", f"{where}: chain {w3.eth.chain_id}, block {w3.eth.block_number}")
        if not settings.manifest_path.is_file():
            yield Probe.skip("deployment", f"no {settings.manifest_path} (run `mycelix deploy`)")
            return
        try:
            Manifest.load(settings.manifest_path).verify(w3)
        except Exception as exc:
            yield Probe.fail("deployment", f"{settings.manifest_path}: {exc}")
        else:
            yield Probe.ok("deployment", f"{settings.manifest_path} matches the chain")


def redis_server(settings: Settings) -> Iterator[Probe]:
    if not settings.redis_url:
        yield Probe.skip("redis", "not configured (one process keeps its own state)")
        return
    import redis

    redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    yield Probe.ok("redis", f"{settings.redis_url} answers")


def tools(settings: Settings) -> Iterator[Probe]:
    # The project's node_modules (a source checkout, where `./dev test` installs it), else PATH.
    local = Path.cwd() / "node_modules" / ".bin" / "anvil"
    found = shutil.which("anvil")
    anvil = local if local.exists() else (Path(found) if found else None)
    if anvil is None:
        yield Probe.skip("anvil", "not found (only tests need it: `npm install`)")
    else:
        yield Probe.ok("anvil", str(anvil))
    # The audio stack needs no ffmpeg: libsndfile (bundled with soundfile) and mutagen.
    soundfile = importlib.import_module("soundfile")
    mutagen = importlib.import_module("mutagen")
    modules = [f"soundfile {soundfile.__version__}", f"mutagen {mutagen.version_string}"]
    yield Probe.ok(
        "audio", ", ".join(modules) + f" (libsndfile {soundfile.__libsndfile_version__})"
    )


def port(settings: Settings) -> Iterator[Probe]:
    where = f"{settings.host}:{settings.port}"
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as sock:
        try:
            sock.bind((settings.host.strip("[]"), settings.port))
        except OSError as exc:
            if _serves_mycelix(settings):
                yield Probe.ok("port", f"{where} in use by a running mycelix server")
            else:
                yield Probe.fail("port", f"{where} is taken by another program ({exc.strerror})")
            return
    yield Probe.ok("port", f"{where} is free for `mycelix serve`")


def _loopback(host: str) -> str:
    """The address to reach a server listening on `host` (0.0.0.0: this machine)."""
    try:
        return "127.0.0.1" if ipaddress.ip_address(host.strip("[]")).is_unspecified else host
    except ValueError:
        return host


def _serves_mycelix(settings: Settings) -> bool:
    import httpx

    try:
        host = _loopback(settings.host)
        response = httpx.get(f"http://{host}:{settings.port}/health", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


# (the name a check that raises is reported under, the check)
CHECKS: tuple[tuple[str, Callable[[Settings], Iterator[Probe]]], ...] = (
    ("python", python_and_packages),
    ("data dir", data_dir),
    ("database", database),
    ("chain", chain),
    ("redis", redis_server),
    ("tools", tools),
    ("port", port),
)


def run_doctor(
    settings: Settings,
    config_error: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Probe]:
    """Every check, in order, each isolated from the others' failures; `progress` hears
    the name of each check as it starts (opening a chain takes seconds)."""
    probes = list(config_file(settings, config_error))
    for name, check in CHECKS:
        if progress is not None:
            progress(f"checking {name}…")
        try:
            probes.extend(check(settings))
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            probes.append(Probe.fail(name, first))
    return probes

"""A real `mycelix serve` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from tests.support.anvil import free_port


@dataclass
class Served:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def rpc_url(self) -> str:
        return f"{self.url}/rpc"

    @property
    def manifest(self) -> Manifest:
        return Manifest.load(Settings(data_dir=self.data_dir).manifest_path)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Until `url`/health answers; the server's output in the error if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise RuntimeError(f"server exited {proc.returncode}: {out[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not up within {timeout}s")


@contextmanager
def serve(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`mycelix serve --port <free> *args` with `data_dir`, stopped afterwards. The demo is
    seeded on an empty data dir unless `--empty` is among `args`."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mycelix.cli.main", "serve", "--port", str(port), *args],
        env={**os.environ, "MYCELIX_DATA_DIR": str(data_dir), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield Served(url, data_dir, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

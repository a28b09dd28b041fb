"""`mycelix serve` (the README's `./dev run`) as a real process: on an empty data directory it
seeds the demo, then serves it and prints the address to open; a second start does not seed
again; `--empty` starts with no songs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from mycelix.demo.catalogue import SONGS
from tests.support.anvil import free_port

SEEDING = "First start"
STARTUP_LIMIT = 300.0  # seconds: the seeded first start, on a loaded 2-core machine


@contextmanager
def serving(data_dir: Path, log: Path, *extra: str) -> Iterator[str]:
    """`mycelix serve` on a free loopback port; yields its URL once /health answers."""
    port = free_port()
    env = {**os.environ, "MYCELIX_DATA_DIR": str(data_dir)}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "mycelix.cli.main", "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_LIMIT
            while True:
                if server.poll() is not None:
                    raise AssertionError(f"serve exited {server.returncode}:\n{log.read_text()}")
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"not up in {STARTUP_LIMIT} s:\n{log.read_text()}")
                time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def songs(url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/songs", params={"limit": 100}, timeout=10)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def titles(url: str) -> list[str]:
    return sorted(song["title"] for song in songs(url))


def test_first_start_seeds_the_demo_then_serves_and_a_second_start_does_not(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    first = tmp_path / "first.log"
    with serving(data_dir, first) as url:
        assert titles(url) == sorted(spec.title for spec in SONGS)
        free = {"strategy": "gift-economy-v1", "limit": 1}  # open to anyone: no sign-in
        song = httpx.get(f"{url}/api/songs", params=free).json()["items"][0]
        audio = httpx.get(f"{url}{song['audio_url']}", headers={"Range": "bytes=0-99"})
        assert audio.status_code == 206 and len(audio.content) == 100
        # The indexer finds each song's registration under the id the upload gave it.
        deadline = time.monotonic() + 60
        while not all(s["registered"] for s in songs(url)):
            assert time.monotonic() < deadline, songs(url)
            time.sleep(0.5)
    out = first.read_text()
    assert SEEDING in out and "conservation: OK" in out, out
    assert f"Open {url}/" in out
    assert out.index(SEEDING) < out.index(f"Open {url}/")  # seeded before serving
    print(out)  # the seeding time, for the record (pytest -s)

    second = tmp_path / "second.log"
    with serving(data_dir, second) as url:
        assert titles(url) == sorted(spec.title for spec in SONGS)  # no second take
    assert SEEDING not in second.read_text()
    assert f"Open {url}/" in second.read_text()


def test_empty_flag_starts_without_the_demo(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serving(tmp_path / "data", log, "--empty") as url:
        assert titles(url) == []
    assert SEEDING not in log.read_text()
    assert f"Open {url}/" in log.read_text()

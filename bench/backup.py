"""Backup and restore times for a 10,000-song node: the RTO figure in docs/operations.md.

Builds a temporary node on the embedded defaults (contracts deployed on the embedded chain,
SQLite catalogue) holding `--songs` described songs, each with its own small audio object
(2-6 KiB) in the content store and an upload row, bulk-inserted in one transaction (files
written straight into the store's layout). Then, as an operator would run
them (`python -m mycelix.cli.main ...`, so process start-up is included):

- `mycelix backup` (plain), `mycelix restore --verify-only`, `mycelix restore` over the
  existing data directory (the previous data kept aside, as by default: deleting it is not
  on the recovery path), then the first `Platform.open` on the restored node (migrations
  checked, deployment verified against the chain): restore + open is the recovery time;
- the same backup and restore encrypted (scrypt + AES-GCM).

    .venv/bin/python bench/backup.py [--songs 10000] [--database-url postgresql://...]

With `--database-url` the catalogue is on that (empty, existing) PostgreSQL database instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WORDS = [
    "river",
    "night",
    "song",
    "light",
    "echo",
    "stone",
    "bloom",
    "drift",
    "ember",
    "tide",
    "glass",
    "wild",
    "low",
    "gold",
]
GENRES = ["ambient", "jazz", "folk", "electronic", "classical", "hip-hop", "rock"]


def seed(data_dir: Path, songs: int, database_url: str | None) -> float:
    """Deploy, then bulk-insert artists, songs and upload rows in one transaction (the ORM's
    bulk INSERT through the catalogue's own column types) and write each song's audio object
    straight into the store's layout."""
    from eth_utils import keccak
    from sqlalchemy import insert

    from mycelix.catalog.models import Artist, Song, Upload
    from mycelix.catalog.types import fold, normalize_genre
    from mycelix.config import Settings
    from mycelix.platform import Platform
    from mycelix.storage.cid import CidHasher

    settings = Settings(data_dir=data_dir, database_url=database_url)
    platform = Platform.open(settings)  # deploys the contracts on the embedded chain
    try:
        rng = random.Random(42)
        artists = ["0x" + keccak(text=f"bench artist {i}")[:20].hex() for i in range(500)]
        start = datetime(2024, 1, 1, tzinfo=UTC)
        t0 = time.perf_counter()
        song_rows, upload_rows = [], []
        for i in range(songs):
            audio = rng.randbytes(rng.randint(2048, 6144))
            hasher = CidHasher()
            hasher.update(audio)
            cid = _cid(hasher.digest)
            path = platform.store.objects_dir / cid[-3:-1] / cid
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(audio)
            title = " ".join(rng.choice(WORDS) for _ in range(3)).title()
            upload_rows.append(
                {"cid": cid, "kind": "audio", "size": len(audio), "media_type": "audio/mpeg"}
            )
            song_rows.append(
                {
                    "song_id": "0x" + keccak(text=f"bench song {i}").hex(),
                    "artist": artists[i % len(artists)],
                    "title": title,
                    "title_key": fold(title),
                    "genre": normalize_genre(GENRES[i % len(GENRES)]),
                    "audio_cid": cid,
                    "duration_ms": rng.randint(90_000, 420_000),
                    "media_type": "audio/mpeg",
                    "waveform": [round(rng.random(), 4) for _ in range(256)],
                    "created_at": start + timedelta(minutes=37 * i),
                }
            )
        with platform.catalog.write() as session:
            session.execute(insert(Artist), [{"address": a, "name": ""} for a in artists])
            session.execute(insert(Upload), upload_rows)
            session.execute(insert(Song), song_rows)
        return time.perf_counter() - t0
    finally:
        platform.close()


def _cid(digest: bytes) -> str:
    from mycelix.backup.create import cid_of_digest

    return cid_of_digest(digest)


def mycelix(*args: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Run one CLI command; returns its wall time and its --json output."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mycelix.cli.main", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"mycelix {' '.join(args)} failed: {done.stderr.strip()}")
    return wall, json.loads(done.stdout)


def first_open(data_dir: Path, database_url: str | None) -> float:
    from mycelix.config import Settings
    from mycelix.platform import Platform

    t0 = time.perf_counter()
    Platform.open(Settings(data_dir=data_dir, database_url=database_url), deploy=False).close()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mycelix-bench-backup-") as scratch:
        data_dir, backups = Path(scratch) / "data", Path(scratch) / "backups"
        env = {
            **os.environ,
            "MYCELIX_DATA_DIR": str(data_dir),
            "MYCELIX_BACKUP_DIR": str(backups),
            "MYCELIX_BACKUP_PASSPHRASE": "",
        }
        if args.database_url:
            env["MYCELIX_DATABASE_URL"] = args.database_url
        seeded = seed(data_dir, args.songs, args.database_url)
        print(
            f"node: {args.songs:,} songs, catalogue on "
            f"{'PostgreSQL' if args.database_url else 'SQLite'}, seeded in {seeded:.1f}s"
        )

        rows: list[tuple[str, float, float | None, str]] = []
        wall, made = mycelix("backup", env=env)
        rows.append(("backup (plain)", wall, made["seconds"], f"{made['bytes'] / 2**20:.1f} MiB"))
        plain = made["archive"]
        wall, _ = mycelix("restore", plain, "--verify-only", env=env)
        rows.append(("verify only (plain)", wall, None, ""))
        wall, restored = mycelix("restore", plain, "--yes", env=env)
        rows.append(("restore (plain)", wall, restored["seconds"], ""))
        opened = first_open(data_dir, args.database_url)
        rows.append(("first open after restore", opened, None, "migrations + deployment check"))
        recovery_plain = wall + opened

        secret = {**env, "MYCELIX_BACKUP_PASSPHRASE": "bench passphrase, not a secret"}
        wall, made = mycelix("backup", env=secret)
        rows.append(
            ("backup (encrypted)", wall, made["seconds"], f"{made['bytes'] / 2**20:.1f} MiB")
        )
        wall, restored = mycelix("restore", made["archive"], "--yes", env=secret)
        rows.append(("restore (encrypted)", wall, restored["seconds"], ""))

        print(f"{'step':<28}{'wall s':>9}{'inside s':>10}  note")
        for name, wall_s, inside, note in rows:
            inside_s = f"{inside:>10.2f}" if inside is not None else f"{'':>10}"
            print(f"{name:<28}{wall_s:>9.2f}{inside_s}  {note}")
        print(f"recovery time (restore + first open, plain archive): {recovery_plain:.1f}s")
        print("wall = whole command including Python start-up; inside = the command's own timing")


if __name__ == "__main__":
    main()

"""Waveform peaks kept beside the content they describe (`<root>/peaks/<cid>.json`), so they are
computed once per audio file: at upload, and read back when the song is described."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from mycelix.storage.cid import parse_cid


def peaks_path(root: Path, cid: str) -> Path:
    return root / "peaks" / f"{parse_cid(cid)}.json"


def save_peaks(root: Path, cid: str, peaks: list[float]) -> None:
    """Write atomically; a concurrent writer of the same CID writes the same values."""
    path = peaks_path(root, cid)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One temporary name per writer: concurrent uploads of the same file write at once.
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps([round(p, 4) for p in peaks]))
    tmp.replace(path)


def load_peaks(root: Path, cid: str) -> list[float] | None:
    try:
        data = json.loads(peaks_path(root, cid).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return [float(x) for x in data] if isinstance(data, list) else None

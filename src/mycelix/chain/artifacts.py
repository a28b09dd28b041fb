"""Compiled contract artifacts (ABI and bytecode), built from the Vyper sources in the package.

Compilation takes a few seconds per contract, so results are cached on disk keyed by the
compiler version and a hash of every source file the contracts can import.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
# Each strategy's folder holds its own contract (`strategies/<snake_name>/<CamelName>.vy`).
STRATEGIES_DIR = CONTRACTS_DIR.parent / "strategies"


def source_paths() -> dict[str, Path]:
    """Every deployable contract (a CamelCase file; snake_case files would be modules) by name:
    the shared ones in `contracts/` and each strategy's in its folder. Found on disk, so a new
    strategy folder needs no list kept here."""
    found = sorted(CONTRACTS_DIR.glob("[A-Z]*.vy")) + sorted(STRATEGIES_DIR.glob("*/[A-Z]*.vy"))
    out: dict[str, Path] = {}
    for path in found:
        if path.stem in out:
            raise RuntimeError(f"two contracts named {path.stem}: {out[path.stem]} and {path}")
        out[path.stem] = path
    return out


CONTRACT_NAMES = tuple(source_paths())


def source_path(name: str) -> Path:
    """The Vyper source of deployable contract `name`."""
    paths = source_paths()
    if name not in paths:
        raise KeyError(f"unknown contract {name!r}; known: {', '.join(paths)}")
    return paths[name]


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime_bytecode: bytes


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mycelix" / "artifacts"


def _source_fingerprint() -> str:
    import snekmate
    import vyper

    digest = hashlib.sha256(vyper.__version__.encode())
    roots = [CONTRACTS_DIR, STRATEGIES_DIR, Path(next(iter(snekmate.__path__)))]
    for root in roots:
        for path in sorted(root.rglob("*.vy*")):
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _compile(name: str) -> Artifact:
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle

    path = source_path(name)
    search_paths = [Path(p) for p in reversed(sys.path) if p] + [CONTRACTS_DIR.parent]
    bundle = FilesystemInputBundle(search_paths)
    file_input = bundle.load_file(path)
    out = compile_from_file_input(
        file_input,
        input_bundle=bundle,
        output_formats=["abi", "bytecode", "bytecode_runtime"],
    )
    return Artifact(
        name=name,
        abi=out["abi"],
        bytecode=bytes.fromhex(out["bytecode"].removeprefix("0x")),
        runtime_bytecode=bytes.fromhex(out["bytecode_runtime"].removeprefix("0x")),
    )


@cache
def load(name: str) -> Artifact:
    """Return the artifact of one deployable contract, compiling it if the cache is stale."""
    source_path(name)  # refuses an unknown name
    cache_file = _cache_dir() / _source_fingerprint() / f"{name}.json"
    if cache_file.exists():
        data = json.loads(cache_file.read_text())
        return Artifact(
            name=name,
            abi=data["abi"],
            bytecode=bytes.fromhex(data["bytecode"]),
            runtime_bytecode=bytes.fromhex(data["runtime_bytecode"]),
        )
    artifact = _compile(name)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "abi": artifact.abi,
                "bytecode": artifact.bytecode.hex(),
                "runtime_bytecode": artifact.runtime_bytecode.hex(),
            }
        )
    )
    tmp.replace(cache_file)
    return artifact

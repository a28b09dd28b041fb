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

# Deployable contracts (CamelCase files); snake_case files would be modules.
CONTRACT_NAMES = (
    "FlowToken",
    "GiftCredits",
    "EconomicStrategyRouter",
    "PayPerStream",
    "GiftEconomy",
    "Patronage",
    "DutchAuction",
)


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
    roots = [CONTRACTS_DIR, Path(next(iter(snekmate.__path__)))]
    for root in roots:
        for path in sorted(root.rglob("*.vy*")):
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _compile(name: str) -> Artifact:
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle

    path = CONTRACTS_DIR / f"{name}.vy"
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
    if name not in CONTRACT_NAMES:
        raise KeyError(f"unknown contract {name!r}; known: {', '.join(CONTRACT_NAMES)}")
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

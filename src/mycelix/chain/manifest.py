"""The deployment manifest: chain id, addresses, deployment block and code hashes.

Every other component (SDK, API, indexer, CLI) reads it. It is written once by
`mycelix deploy` and verified against the chain on every later run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3 import Web3

from mycelix.chain.errors import DeploymentError

SCHEMA = 1


@dataclass(frozen=True)
class Manifest:
    chain_id: int
    deployment_block: int
    addresses: dict[str, ChecksumAddress]
    code_hashes: dict[str, str]
    external_token: bool = False
    schema: int = SCHEMA

    @property
    def router(self) -> ChecksumAddress:
        return self.addresses["EconomicStrategyRouter"]

    @property
    def token(self) -> ChecksumAddress:
        return self.addresses["FlowToken"]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            raise DeploymentError(f"no deployment manifest at {path}; run `mycelix deploy` first")
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            if data.get("schema") != SCHEMA:
                raise DeploymentError(f"{path}: unsupported manifest schema {data.get('schema')!r}")
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise DeploymentError(f"{path} is not a valid deployment manifest: {exc}") from exc

    @classmethod
    def record(
        cls, w3: Web3, addresses: dict[str, ChecksumAddress], block: int, external_token: bool
    ) -> Manifest:
        """Build a manifest from what is on chain now (code hashes read back from the chain)."""
        hashes = {
            name: "0x" + keccak(w3.eth.get_code(addr)).hex() for name, addr in addresses.items()
        }
        return cls(
            chain_id=w3.eth.chain_id,
            deployment_block=block,
            addresses=dict(addresses),
            code_hashes=hashes,
            external_token=external_token,
        )

    def verify(self, w3: Web3) -> None:
        """Raise `DeploymentError` naming every difference between this manifest and the chain."""
        problems: list[str] = []
        chain_id = w3.eth.chain_id
        if chain_id != self.chain_id:
            problems.append(f"chain id is {chain_id}, the manifest says {self.chain_id}")
        else:
            for name, address in self.addresses.items():
                code = w3.eth.get_code(address)
                if not code:
                    problems.append(f"{name}: no contract at {address}")
                elif "0x" + keccak(code).hex() != self.code_hashes.get(name):
                    problems.append(f"{name}: code at {address} differs from the manifest")
        if problems:
            raise DeploymentError("deployment does not match the chain: " + "; ".join(problems))

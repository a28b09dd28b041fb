"""Settings: one object built from flags and environment, handed to the one composition root.

Every component reads its paths from `Settings`, so `--data-dir` (or `MYCELIX_DATA_DIR`)
moves everything a node keeps: chain state, catalogue database, content store, deployment
manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "MYCELIX_"


def default_data_dir() -> Path:
    """`$MYCELIX_DATA_DIR`, else `$XDG_DATA_HOME/mycelix`, else `~/.local/share/mycelix`."""
    if explicit := os.environ.get(f"{ENV_PREFIX}DATA_DIR"):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mycelix"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Defaults are the embedded, single-machine setup."""

    data_dir: Path = field(default_factory=default_data_dir)
    # Chain: None means the embedded py-evm chain kept in `chain_dir`.
    rpc_url: str | None = None
    # Hex private key for signing on an RPC node (environment only, never a flag).
    private_key: str | None = field(default=None, repr=False)
    keystore: Path | None = None
    keystore_password: str | None = field(default=None, repr=False)
    # Existing ERC-20 to use instead of deploying FLOW (production chains).
    token: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    confirmations: int = 0
    # Browser origins allowed to call the API with credentials (comma-separated in the env).
    cors_origins: list[str] = field(default_factory=list)
    # Origins users reach the API at (comma-separated in the env); Sign-In with Ethereum
    # messages must name one. Empty: http://HOST:PORT (and localhost for loopback).
    public_origins: list[str] = field(default_factory=list)
    max_upload_mb: int = 200
    # Run the chain indexer inside `serve` (off for a separate `mycelix indexer run`).
    embedded_indexer: bool = True

    @property
    def chain_dir(self) -> Path:
        return self.data_dir / "chain"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def content_dir(self) -> Path:
        return self.data_dir / "content"

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'catalog.sqlite3'}"

    @property
    def embedded(self) -> bool:
        return self.rpc_url is None

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `MYCELIX_*` environment variables, then explicit overrides (flags)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(ENV_PREFIX + name) or None

        values: dict[str, Any] = {
            "rpc_url": get("RPC_URL"),
            "private_key": get("PRIVATE_KEY"),
            "keystore": Path(k) if (k := get("KEYSTORE")) else None,
            "keystore_password": get("KEYSTORE_PASSWORD"),
            "token": get("TOKEN"),
            "database_url": get("DATABASE_URL"),
            "redis_url": get("REDIS_URL"),
        }
        if data_dir := get("DATA_DIR"):
            values["data_dir"] = Path(data_dir).expanduser()
        if port := get("PORT"):
            values["port"] = int(port)
        if host := get("HOST"):
            values["host"] = host
        if confirmations := get("CONFIRMATIONS"):
            values["confirmations"] = int(confirmations)
        if origins := get("CORS_ORIGINS"):
            values["cors_origins"] = [o.strip() for o in origins.split(",") if o.strip()]
        if public := get("PUBLIC_ORIGINS"):
            values["public_origins"] = [o.strip() for o in public.split(",") if o.strip()]
        if upload := get("MAX_UPLOAD_MB"):
            values["max_upload_mb"] = int(upload)
        if (indexer := get("EMBEDDED_INDEXER")) is not None:
            values["embedded_indexer"] = indexer.lower() not in {"0", "false", "no"}
        base = cls(**{k: v for k, v in values.items() if v is not None})
        return base.with_overrides(**overrides)


# Documented in docs/configuration.md; a test checks every field is listed there.
SETTINGS_ENV = {
    "data_dir": "MYCELIX_DATA_DIR",
    "rpc_url": "MYCELIX_RPC_URL",
    "private_key": "MYCELIX_PRIVATE_KEY",
    "keystore": "MYCELIX_KEYSTORE",
    "keystore_password": "MYCELIX_KEYSTORE_PASSWORD",
    "token": "MYCELIX_TOKEN",
    "database_url": "MYCELIX_DATABASE_URL",
    "redis_url": "MYCELIX_REDIS_URL",
    "host": "MYCELIX_HOST",
    "port": "MYCELIX_PORT",
    "confirmations": "MYCELIX_CONFIRMATIONS",
    "cors_origins": "MYCELIX_CORS_ORIGINS",
    "public_origins": "MYCELIX_PUBLIC_ORIGINS",
    "max_upload_mb": "MYCELIX_MAX_UPLOAD_MB",
    "embedded_indexer": "MYCELIX_EMBEDDED_INDEXER",
}

"""Configuration checks on the `Settings` a node would run with: debug off, CORS not `*`, no
public dev key on a chain where keys guard real value, secrets kept private."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlparse

from web3 import Web3

from mycelix.chain.embedded import DEV_CHAIN_ID, derive_dev_accounts
from mycelix.config import Settings
from mycelix.ops.security.model import Finding, Outcome, Ran, Severity

# Chain ids of local dev nodes (anvil/hardhat 31337, ganache and geth --dev 1337).
DEV_CHAIN_IDS = frozenset({DEV_CHAIN_ID, 1337})
_TRUE = {"1", "true", "yes", "on"}


def _is_loopback(host: str | None) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _chain_id(rpc_url: str) -> int | None:
    try:
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5}))
        return int(w3.eth.chain_id)
    except Exception:
        return None


def configuration(settings: Settings, environ: dict[str, str] | None = None) -> Outcome:
    env = os.environ if environ is None else environ
    findings: list[Finding] = []
    if getattr(settings, "debug", False) or env.get("MYCELIX_DEBUG", "").lower() in _TRUE:
        findings.append(
            Finding(
                Severity.HIGH,
                "debug is on: tracebacks and internals reach clients",
                "MYCELIX_DEBUG",
            )
        )
    origins = list(settings.cors_origins)
    if "*" in origins:
        findings.append(
            Finding(
                Severity.HIGH,
                "CORS allows every origin ('*'): any site could call the API with a user's session",
                "MYCELIX_CORS_ORIGINS",
            )
        )
    for origin in origins:
        parsed = urlparse(origin)
        if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
            findings.append(
                Finding(Severity.LOW, f"CORS origin {origin} is plain http", "MYCELIX_CORS_ORIGINS")
            )
    dev_keys = {a.private_key.hex().removeprefix("0x").lower() for a in derive_dev_accounts(10)}
    key = (settings.private_key or "").lower().removeprefix("0x")
    if key and key in dev_keys and not settings.embedded:
        assert settings.rpc_url is not None
        chain_id = _chain_id(settings.rpc_url)
        if chain_id is None:
            findings.append(
                Finding(
                    Severity.HIGH,
                    f"MYCELIX_PRIVATE_KEY is a public dev key and the chain at {settings.rpc_url} "
                    "did not say whether it is a dev chain",
                    "MYCELIX_PRIVATE_KEY",
                )
            )
        elif chain_id not in DEV_CHAIN_IDS:
            findings.append(
                Finding(
                    Severity.CRITICAL,
                    f"MYCELIX_PRIVATE_KEY is a public dev key (from the 'test ... junk' mnemonic) "
                    f"on chain {chain_id}: anyone can sign as this node",
                    "MYCELIX_PRIVATE_KEY",
                )
            )
    if settings.keystore is not None and settings.keystore.exists():
        mode = settings.keystore.stat().st_mode
        if mode & 0o077:
            findings.append(
                Finding(
                    Severity.MEDIUM,
                    f"keystore {settings.keystore} is readable by other users "
                    f"(mode {mode & 0o777:o})",
                    "MYCELIX_KEYSTORE",
                )
            )
    if _is_unspecified(settings.host):
        findings.append(
            Finding(
                Severity.LOW,
                f"the API listens on every interface ({settings.host}); put it behind a TLS proxy",
                "MYCELIX_HOST",
            )
        )
    if settings.redis_url:
        parsed = urlparse(settings.redis_url)
        if not parsed.password and not _is_loopback(parsed.hostname):
            findings.append(
                Finding(
                    Severity.MEDIUM,
                    f"Redis at {parsed.hostname} is reached without a password",
                    "MYCELIX_REDIS_URL",
                )
            )
    chain = "embedded dev chain" if settings.embedded else str(settings.rpc_url)
    return Outcome("configuration", Ran.CHECKED, findings, f"settings for {chain}")

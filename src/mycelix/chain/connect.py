"""One way to reach a chain: the embedded py-evm chain or any JSON-RPC node, both through web3.py.

Signing is always local (the SDK signs raw transactions), with the dev accounts on the embedded
chain and a key from the environment or a keystore file on a node. Keys never come from the
command line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from mycelix.chain.embedded import DEV_ACCOUNT_COUNT, EmbeddedChain, derive_dev_accounts
from mycelix.chain.errors import ChainConnectionError, InvalidInput
from mycelix.config import Settings


@dataclass
class Chain:
    """A connected chain plus the accounts this process can sign for."""

    w3: Web3
    signer: LocalAccount
    dev_accounts: tuple[LocalAccount, ...] = ()
    embedded: EmbeddedChain | None = field(default=None, repr=False)

    @property
    def is_dev(self) -> bool:
        """Whether this chain has the public dev accounts (embedded, or a dev node like anvil)."""
        return bool(self.dev_accounts)

    def advance_time(self, seconds: int) -> None:
        """Move block time forward; dev chains only (embedded or anvil)."""
        if self.embedded is not None:
            self.embedded.advance_time(seconds)
            return
        try:
            self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        except Exception as exc:
            raise ChainConnectionError(f"this node cannot move time: {exc}") from exc

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.close()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def dev_signers(count: int = DEV_ACCOUNT_COUNT) -> tuple[LocalAccount, ...]:
    """The documented dev accounts (same mnemonic as anvil's), as local signers."""
    return tuple(a.signer() for a in derive_dev_accounts(count))


def _signer_from_settings(settings: Settings) -> LocalAccount | None:
    if settings.private_key:
        try:
            return Account.from_key(settings.private_key)
        except (ValueError, TypeError) as exc:
            raise InvalidInput("MYCELIX_PRIVATE_KEY is not a valid private key") from exc
    if settings.keystore:
        if settings.keystore_password is None:
            raise InvalidInput("MYCELIX_KEYSTORE is set but MYCELIX_KEYSTORE_PASSWORD is not")
        try:
            keyfile = json.loads(settings.keystore.read_text())
            key = Account.decrypt(keyfile, settings.keystore_password)
        except OSError as exc:
            raise InvalidInput(f"cannot read keystore {settings.keystore}: {exc}") from exc
        except ValueError as exc:
            raise InvalidInput(f"cannot decrypt keystore {settings.keystore}: {exc}") from exc
        return Account.from_key(key)
    return None


def open_chain(settings: Settings) -> Chain:
    """Connect as `settings` say. The caller closes the result (it holds the embedded chain's
    file lock)."""
    if settings.embedded:
        # The key first: a bad one must not leave the chain open (and its lock held).
        configured = _signer_from_settings(settings)
        embedded = EmbeddedChain.open(settings.chain_dir)
        signers = tuple(a.signer() for a in embedded.accounts)
        chosen = configured or signers[0]
        return Chain(w3=embedded.w3, signer=chosen, dev_accounts=signers, embedded=embedded)
    assert settings.rpc_url is not None
    w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
    try:
        w3.eth.chain_id  # noqa: B018 - a cheap request that proves the node answers
    except Exception as exc:
        raise ChainConnectionError(f"cannot reach the chain at {settings.rpc_url}: {exc}") from exc
    signer = _signer_from_settings(settings)
    devs = dev_signers()
    # A node that reports the dev mnemonic's first account is a dev node (anvil, hardhat).
    is_dev = devs[0].address in _node_accounts(w3)
    if signer is None:
        if not is_dev:
            raise InvalidInput(
                "no signing key: set MYCELIX_PRIVATE_KEY or MYCELIX_KEYSTORE (+ _PASSWORD)"
            )
        signer = devs[0]
    return Chain(w3=w3, signer=signer, dev_accounts=devs if is_dev else ())


def _node_accounts(w3: Web3) -> list[str]:
    try:
        return list(w3.eth.accounts)
    except Exception:
        return []

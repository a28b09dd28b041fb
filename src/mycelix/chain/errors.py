"""Exceptions of the chain layer and the SDK: a revert is distinct from a connection failure."""

from __future__ import annotations


class MycelixError(Exception):
    """Base of every error this package raises on purpose."""


class ChainConnectionError(MycelixError):
    """The chain could not be reached (node down, wrong URL, timeout)."""


class ContractRevert(MycelixError):
    """A contract refused the call; `reason` is the contract's revert string."""

    def __init__(self, reason: str, *, function: str | None = None) -> None:
        self.reason = reason
        self.function = function
        where = f" in {function}" if function else ""
        super().__init__(f"reverted{where}: {reason}")


class TransactionFailed(MycelixError):
    """A mined transaction failed without a readable reason (e.g. out of gas)."""


class DeploymentError(MycelixError):
    """No deployment, or one that does not match the chain."""


class InvalidInput(MycelixError, ValueError):
    """A value was refused before anything was sent (bad id, float amount, ...)."""

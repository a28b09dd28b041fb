"""Sending transactions: build, estimate, sign locally, send raw, wait, and turn failures into
the package's exceptions (a revert carries the contract's reason)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import TxReceipt

from mycelix.chain.errors import ChainConnectionError, ContractRevert, TransactionFailed

RECEIPT_TIMEOUT = 120


def revert_reason(exc: BaseException) -> str:
    """The contract's reason string from a web3 revert error."""
    message = str(getattr(exc, "message", None) or exc)
    for prefix in ("execution reverted: ", "execution reverted"):
        if message.startswith(prefix):
            return message[len(prefix) :].strip() or "reverted without a reason"
    return message


@contextmanager
def call_errors(fn_name: str | None = None) -> Iterator[None]:
    """Map web3 and transport errors to the package's exceptions."""
    try:
        yield
    except ContractLogicError as exc:
        raise ContractRevert(revert_reason(exc), function=fn_name) from exc
    except (requests.exceptions.RequestException, ConnectionError, TimeoutError) as exc:
        raise ChainConnectionError(f"chain unreachable: {exc}") from exc
    except Web3RPCError as exc:
        if "revert" in str(exc).lower():
            raise ContractRevert(revert_reason(exc), function=fn_name) from exc
        raise


class Sender:
    """Signs and sends transactions for one account, keeping its own nonce so several
    transactions can be sent back to back. Thread-safe."""

    def __init__(self, w3: Web3, account: LocalAccount) -> None:
        self.w3 = w3
        self.account = account
        self._nonce: int | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def _peek_nonce(self) -> int:
        # Asked of the node every time (one cheap RPC): a cached count goes stale when the
        # same key sends from elsewhere or a dev chain reverts to a snapshot.
        self._nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        return self._nonce

    def transact(self, call: ContractFunction, value: int = 0) -> TxReceipt:
        """Send one contract call and wait for its receipt; raise on any failure. A nonce that
        went stale (the account sent elsewhere) is re-read from the node once."""
        name = getattr(call, "fn_name", None)
        with self._lock, call_errors(name):
            for attempt in (1, 2):
                nonce = self._peek_nonce()
                params = {"from": self.address, "value": value, "nonce": nonce}
                try:
                    tx = call.build_transaction(cast(Any, params))
                    return self._send(cast(dict[str, Any], tx), name)
                except (ContractLogicError, TransactionFailed, ChainConnectionError):
                    raise
                except Exception as exc:
                    if attempt == 2 or "nonce" not in str(exc).lower():
                        raise
                    self._nonce = None
            raise AssertionError("unreachable")

    def deploy(self, abi: list[dict[str, Any]], bytecode: bytes, *args: Any) -> TxReceipt:
        """Deploy a contract; the receipt's `contractAddress` is its address."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        with self._lock, call_errors("constructor"):
            nonce = self._peek_nonce()
            tx = factory.constructor(*args).build_transaction(
                {"from": self.address, "nonce": nonce}
            )
            return self._send(cast(dict[str, Any], tx), "constructor")

    def send_value(self, to: ChecksumAddress, value: int) -> TxReceipt:
        """Plain value transfer (gas money for dev accounts)."""
        with self._lock, call_errors(None):
            tx: dict[str, Any] = {"from": self.address, "to": to, "value": value}
            tx["gas"] = 21_000
            tx["chainId"] = self.w3.eth.chain_id
            fee = self.w3.eth.gas_price
            tx["maxFeePerGas"] = fee * 2
            tx["maxPriorityFeePerGas"] = min(fee, 10**9)
            return self._send(tx, None)

    def _send(self, tx: dict[str, Any], name: str | None) -> TxReceipt:
        tx["nonce"] = self._peek_nonce()
        signed = self.account.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except BaseException:
            self._nonce = None  # resync from the node on the next send
            raise
        self._nonce = tx["nonce"] + 1
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT)
        except TimeExhausted as exc:
            self._nonce = None
            raise ChainConnectionError(f"transaction {tx_hash.hex()} not mined in time") from exc
        if receipt["status"] != 1:
            raise TransactionFailed(f"{name or 'transaction'} {tx_hash.hex()} failed on chain")
        return receipt

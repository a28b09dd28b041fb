"""Sending transactions: build, estimate, sign locally, send raw, wait, and turn failures into
the package's exceptions (a revert carries the contract's reason)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
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
    """Signs and sends transactions for one account, one at a time (a lock), each with the
    node's pending nonce. Thread-safe; the SDK keeps one per account per connection."""

    def __init__(self, w3: Web3, account: LocalAccount) -> None:
        self.w3 = w3
        self.account = account
        self._lock = threading.Lock()

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def _nonce(self) -> int:
        # Asked of the node for every transaction (one cheap RPC; the lock serialises this
        # sender): a cached count goes stale when the same key sends from elsewhere or a dev
        # chain reverts to a snapshot.
        return self.w3.eth.get_transaction_count(self.address, "pending")

    def transact(
        self,
        call: ContractFunction,
        value: int = 0,
        *,
        before_send: Callable[[str], None] | None = None,
    ) -> TxReceipt:
        """Send one contract call and wait for its receipt; raise on any failure. A nonce that
        went stale (the account sent elsewhere) is re-read from the node once. `before_send`
        gets the signed transaction's hash before it leaves (to record it durably first)."""
        name = getattr(call, "fn_name", None)
        with self._lock, call_errors(name):
            for attempt in (1, 2):
                params = {"from": self.address, "value": value, "nonce": self._nonce()}
                try:
                    tx = call.build_transaction(cast(Any, params))
                    return self._send(cast(dict[str, Any], tx), name, before_send)
                except (ContractLogicError, TransactionFailed, ChainConnectionError):
                    raise
                except Exception as exc:
                    if attempt == 2 or "nonce" not in str(exc).lower():
                        raise
            raise AssertionError("unreachable")

    def deploy(self, abi: list[dict[str, Any]], bytecode: bytes, *args: Any) -> TxReceipt:
        """Deploy a contract; the receipt's `contractAddress` is its address."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        with self._lock, call_errors("constructor"):
            tx = factory.constructor(*args).build_transaction(
                {"from": self.address, "nonce": self._nonce()}
            )
            return self._send(cast(dict[str, Any], tx), "constructor")

    def send_value(self, to: ChecksumAddress, value: int) -> TxReceipt:
        """Plain value transfer (gas money for dev accounts)."""
        with self._lock, call_errors(None):
            tx: dict[str, Any] = {"from": self.address, "to": to, "value": value}
            tx["nonce"] = self._nonce()
            tx["gas"] = 21_000
            tx["chainId"] = self.w3.eth.chain_id
            fee = self.w3.eth.gas_price
            tx["maxFeePerGas"] = fee * 2
            tx["maxPriorityFeePerGas"] = min(fee, 10**9)
            return self._send(tx, None)

    def _send(
        self,
        tx: dict[str, Any],
        name: str | None,
        before_send: Callable[[str], None] | None = None,
    ) -> TxReceipt:
        signed = self.account.sign_transaction(tx)
        if before_send is not None:
            before_send(Web3.to_hex(signed.hash))
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT)
        except TimeExhausted as exc:
            raise ChainConnectionError(f"transaction {tx_hash.hex()} not mined in time") from exc
        if receipt["status"] != 1:
            raise TransactionFailed(f"{name or 'transaction'} {tx_hash.hex()} failed on chain")
        return receipt

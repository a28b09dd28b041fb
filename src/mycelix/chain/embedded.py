"""The embedded dev chain: an in-process py-evm chain whose state persists to a SQLite file.

The chain runs the way web3.py's ``EthereumTesterProvider`` runs it — eth-tester's
``PyEVMBackend`` driving a py-evm ``MiningChain`` — except that the key-value database
eth-tester would create in memory is a :class:`~mycelix.chain.kvstore.SQLiteKV`, so every block,
balance, contract, receipt and log survives a restart. Callers talk to it through an ordinary
``web3.Web3`` instance, exactly as they would talk to anvil or any JSON-RPC node::

    with EmbeddedChain.open(Path("data/chain")) as chain:
        w3 = chain.w3
        artist = chain.accounts[1]
        w3.eth.send_transaction({"from": chain.accounts[0].address, "to": artist.address,
                                 "value": 10**18})

Fixed dev defaults (documented here and kept identical to anvil's so that the same addresses
and chain id exist on both):

- chain id :data:`DEV_CHAIN_ID` = 31337;
- :data:`DEV_ACCOUNT_COUNT` = 10 accounts derived from :data:`DEV_MNEMONIC`
  ("test test ... junk") at BIP-44 path ``m/44'/60'/0'/0/i``, each funded with
  :data:`DEV_ACCOUNT_BALANCE` = 10,000 ETH at genesis; account 0 is
  ``0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266``. These keys are public knowledge: never use
  them for anything of value;
- fork rules: Prague from genesis; block gas limit 30,029,122 (eth-tester's);
- automine: every transaction is mined in its own block;
- a failing ``eth_call``/``eth_estimateGas`` answers with the JSON-RPC error a node sends
  (code 3 plus the revert data), so web3 raises ``ContractLogicError`` here as it does on anvil;
- ``evm_snapshot``/``evm_revert`` work, and a revert is persisted like any other head change.

Time. Block timestamps follow the chain clock ``wall clock + offset``; a block's timestamp is
taken when its first transaction arrives (py-evm would otherwise stamp the pending block when
the *previous* block was mined), and is always at least one second after its parent's, so a
burst of transactions runs the chain clock ahead of the wall clock for a while.
:meth:`EmbeddedChain.advance_time` mines one empty block whose timestamp is *exactly* the
latest block's plus the given seconds and moves the clock offset forward by the same amount;
the offset is stored with the block, so time travel survives a restart.

Files in the data directory: ``chain.sqlite3`` (py-evm's key-value pairs and a ``meta`` table:
schema version, chain id, fork, genesis parameters, dev-account derivation, head hash and
number, clock offset) and ``chain.lock`` (an advisory ``flock`` held while a process has the
chain open, so a second opener fails with :class:`ChainLockedError` instead of corrupting the
file). Each mined block is committed to SQLite in one transaction together with the new head
and clock offset, so the file always holds a whole number of blocks; on restart the chain is
rebuilt from that stored canonical head.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from eth.chains.base import MiningChain
from eth.estimators.gas import binary_gas_search
from eth.exceptions import Revert as EVMRevert
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.vm.forks import PragueVM
from eth.vm.forks.cancun import get_total_blob_gas
from eth.vm.spoof import SpoofTransaction
from eth_abi import abi
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_tester import EthereumTester
from eth_tester.backends.pyevm import PyEVMBackend
from eth_tester.backends.pyevm.main import (
    _get_vm_for_block_number,
    get_account_keys_from_mnemonic,
    get_default_genesis_params,
)
from eth_tester.backends.pyevm.serializers import (
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionFailed, TransactionNotFound, ValidationError
from eth_typing import Address, BlockNumber, ChecksumAddress, Hash32
from eth_utils import to_checksum_address
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.providers.eth_tester.defaults import API_ENDPOINTS
from web3.types import RPCEndpoint, RPCResponse

from mycelix.chain.kvstore import SQLiteKV

__all__ = [
    "DEV_ACCOUNT_BALANCE",
    "DEV_ACCOUNT_COUNT",
    "DEV_CHAIN_ID",
    "DEV_HD_PATH",
    "DEV_MNEMONIC",
    "CallFailed",
    "ChainClosedError",
    "ChainLockedError",
    "DevAccount",
    "EmbeddedChain",
    "EmbeddedChainError",
    "derive_dev_accounts",
]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The standard public dev mnemonic (hardhat's and anvil's default)."""
DEV_HD_PATH = "m/44'/60'/0'/0"
"""BIP-44 account path; account ``i`` is derived at ``DEV_HD_PATH/i``."""
DEV_ACCOUNT_COUNT = 10
DEV_ACCOUNT_BALANCE = 10_000 * 10**18
"""Genesis balance of every dev account, in wei (10,000 ETH)."""
DEV_CHAIN_ID = 31337
"""Same as anvil's default, so wallets and signed messages behave alike on both."""

CHAIN_DB_FILENAME = "chain.sqlite3"
LOCK_FILENAME = "chain.lock"

_SCHEMA_VERSION = "1"
_FORK = "prague"
_ZERO_ADDRESS = b"\x00" * 20


class EmbeddedChainError(RuntimeError):
    """The embedded chain cannot be opened or used."""


class ChainLockedError(EmbeddedChainError):
    """Another process (or another open instance) already has this chain's data open."""


class ChainClosedError(EmbeddedChainError):
    """The chain was closed; its ``Web3`` instance can no longer be used."""


_ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")


class _CallFailed(Exception):
    """An ``eth_call``/``eth_estimateGas`` failure, carried past eth-tester's error handling
    (which flattens revert data into a message) so the provider can answer like a node."""

    def __init__(self, message: str, revert_data: bytes | None) -> None:
        super().__init__(message)
        self.revert_data = revert_data

    @classmethod
    def from_vm_error(cls, error: BaseException) -> _CallFailed:
        if not isinstance(error, EVMRevert):
            return cls(str(error) or type(error).__name__, None)
        data = error.args[0] if error.args and isinstance(error.args[0], bytes) else b""
        message = "execution reverted"
        if data[:4] == _ERROR_STRING_SELECTOR:
            with contextlib.suppress(DecodingError):
                message += ": " + abi.decode(["string"], data[4:])[0]
        return cls(message, data)

    def rpc_error(self) -> dict[str, Any]:
        """The JSON-RPC error object geth/anvil send, which web3 turns into
        ``ContractLogicError`` (reverts) or ``Web3RPCError`` (other failures)."""
        if self.revert_data is None:
            return {"code": -32000, "message": str(self)}
        return {"code": 3, "message": str(self), "data": "0x" + self.revert_data.hex()}


CallFailed = _CallFailed
"""Raised by :meth:`EmbeddedChain.tester`'s ``call``/``estimate_gas`` on failure; its
``rpc_error()`` is the JSON-RPC error object a node would send."""


@dataclass(frozen=True)
class DevAccount:
    """One funded dev account. The private key is left out of ``repr`` so it is never printed
    by accident; it is still public knowledge (derived from :data:`DEV_MNEMONIC`)."""

    index: int
    address: ChecksumAddress
    private_key: bytes = field(repr=False)

    def signer(self) -> LocalAccount:
        """Return an ``eth_account`` account that signs transactions and messages."""
        return Account.from_key(self.private_key)


def derive_dev_accounts(
    count: int = DEV_ACCOUNT_COUNT, mnemonic: str = DEV_MNEMONIC, hd_path: str = DEV_HD_PATH
) -> tuple[DevAccount, ...]:
    """Derive ``count`` accounts from ``mnemonic`` at ``hd_path/i`` (i = 0, 1, ...)."""
    keys = _derive_keys(count, mnemonic, hd_path)
    return tuple(_dev_account(i, key) for i, key in enumerate(keys))


def _dev_account(index: int, key: PrivateKey) -> DevAccount:
    return DevAccount(
        index=index,
        address=to_checksum_address(key.public_key.to_canonical_address()),
        private_key=key.to_bytes(),
    )


def _derive_keys(count: int, mnemonic: str, hd_path: str) -> tuple[PrivateKey, ...]:
    # eth-tester's own derivation, so the backend's unlocked accounts are the same keys.
    return tuple(get_account_keys_from_mnemonic(mnemonic, quantity=count, hd_path=hd_path))


def _fast_gas_estimate(state: Any, transaction: Any) -> int:
    """Estimate gas with two runs instead of py-evm's ~13-run binary search: run once with the
    block's gas limit, take the gas it consumed before refunds, add headroom for the 63/64 rule
    of nested calls, and confirm that limit works; only if it does not, fall back to the
    binary search. Estimation was three quarters of the time of every embedded transaction."""
    limit = state.gas_limit
    trial = SpoofTransaction(transaction, gas=limit, gas_price=0)
    snapshot = state.snapshot()
    try:
        computation = state.apply_transaction(trial)
        failed = computation.is_error
        consumed = limit - computation.get_gas_remaining()
    finally:
        state.revert(snapshot)
    if failed:
        # Let the binary search produce the canonical error for the caller.
        return int(binary_gas_search(state, transaction, tolerance=1))
    candidate = min(limit, consumed + consumed // 63 + 2_300)
    check = SpoofTransaction(transaction, gas=candidate, gas_price=0)
    snapshot = state.snapshot()
    try:
        works = not state.apply_transaction(check).is_error
    finally:
        state.revert(snapshot)
    return candidate if works else int(binary_gas_search(state, transaction, tolerance=1))


class _DevChain(MiningChain):
    """eth-tester's post-merge tester chain, with the dev chain id."""

    chain_id = DEV_CHAIN_ID
    vm_configuration = ((BlockNumber(0), PragueVM),)
    gas_estimator = staticmethod(_fast_gas_estimate)

    def create_header_from_parent(self, parent_header: Any, **header_params: Any) -> Any:
        # As eth-tester does: keep the gas limit constant instead of letting it drift.
        header_params["gas_limit"] = parent_header.gas_limit
        return super().create_header_from_parent(parent_header, **header_params)

    def get_transaction_builder(self) -> Any:
        return super().get_vm().get_transaction_builder()


class _PersistentBackend(PyEVMBackend):
    """``PyEVMBackend`` over a persistent chain: commits each block, owns the block clock."""

    def __init__(
        self,
        chain: _DevChain,
        account_keys: tuple[PrivateKey, ...],
        store: SQLiteKV,
        clock: Callable[[], float],
        time_offset: int,
    ) -> None:
        # PyEVMBackend.__init__ would build a fresh in-memory genesis chain; the chain here is
        # already built over the SQLite store, so only the attributes it relies on are set.
        self.chain = chain
        self.account_keys = account_keys
        self.store = store
        self.clock = clock
        self.time_offset = time_offset
        self.pinned_timestamp: int | None = None
        # py-evm stamped the pending block with its own wall clock; "pending" should show ours.
        self._stamp_pending_block()

    # -- block clock ---------------------------------------------------------------------------

    def next_timestamp(self) -> int:
        """Timestamp the next block gets unless one is pinned."""
        head = self.chain.get_canonical_head()
        return max(head.timestamp + 1, int(self.clock()) + self.time_offset)

    def _stamp_pending_block(self) -> None:
        header = self.chain.header
        if header.gas_used:
            # The block already holds transactions that ran with this timestamp.
            return
        if self.pinned_timestamp is not None:
            timestamp = self.pinned_timestamp
        else:
            timestamp = self.next_timestamp()
        if header.timestamp != timestamp:
            self.chain.header = header.copy(timestamp=timestamp)

    def _commit(self, head: Any = None) -> None:
        if head is None:
            head = self.chain.get_canonical_head()
        self.store.commit(
            {
                "head_hash": head.hash.hex(),
                "head_number": str(head.block_number),
                "time_offset": str(self.time_offset),
            }
        )

    # -- mining --------------------------------------------------------------------------------

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: a persistent chain is reset by deleting its data directory."""
        raise NotImplementedError(
            "the embedded chain persists its state; delete its data directory to reset it"
        )

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = _ZERO_ADDRESS) -> tuple[Any, ...]:
        """Mine ``num_blocks`` blocks, committing each to the SQLite file as it is mined."""
        hashes = []
        for _ in range(num_blocks):
            self._stamp_pending_block()
            kwargs: dict[str, Any] = {"coinbase": coinbase, "mix_hash": os.urandom(32)}
            if self.chain.header.gas_used:
                transactions = self.chain.get_block().transactions
                kwargs["blob_gas_used"] = sum(get_total_blob_gas(tx) for tx in transactions)
            else:
                kwargs["blob_gas_used"] = 0
            block = self.chain.mine_block(**kwargs)
            self.pinned_timestamp = None
            self._commit(block.header)
            hashes.append(block.hash)
        self._stamp_pending_block()
        return tuple(hashes)

    def time_travel(self, to_timestamp: int) -> int:
        """Mine an empty block at ``to_timestamp`` (eth-tester's ``testing_timeTravel``)."""
        seconds = to_timestamp - self.chain.get_canonical_head().timestamp
        if seconds <= 0:
            raise ValidationError("cannot travel to a timestamp at or before the latest block")
        self.advance_time(seconds)
        return to_timestamp

    def advance_time(self, seconds: int, mine: Callable[[int], Any] | None = None) -> int:
        """Mine an empty block exactly ``seconds`` after the latest one and move the clock
        offset forward by ``seconds``; ``mine(1)`` mines it (default: this backend)."""
        if self.chain.header.gas_used:
            raise EmbeddedChainError("cannot advance time while a block is being built")
        target = self.chain.get_canonical_head().timestamp + seconds
        previous_offset = self.time_offset
        # The offset is committed with the block, so both persist or neither does.
        self.time_offset += seconds
        self.pinned_timestamp = target
        try:
            (mine or self.mine_blocks)(1)
        except BaseException:
            self.time_offset = previous_offset
            self.pinned_timestamp = None
            raise
        return target

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        self._stamp_pending_block()
        return super().send_raw_transaction(raw_transaction)

    def send_signed_transaction(self, signed_transaction: Any, block_number: Any = "latest") -> Any:
        self._stamp_pending_block()
        return super().send_signed_transaction(signed_transaction, block_number)

    def send_transaction(self, transaction: Any) -> Any:
        self._stamp_pending_block()
        return super().send_transaction(transaction)

    def apply_withdrawals(self, withdrawals_list: Any) -> None:
        self._stamp_pending_block()
        super().apply_withdrawals(withdrawals_list)
        self._commit()

    def revert_to_snapshot(self, snapshot: Any) -> None:
        """Rewind the canonical head (``evm_revert``) and persist the rewind."""
        super().revert_to_snapshot(snapshot)
        self._commit()

    # -- calls: keep revert data so the provider can answer like a node -----------------------

    def call(self, transaction: Any, block_number: Any = "latest") -> bytes:
        """``eth_call``; a failure raises :class:`_CallFailed` with the raw revert data."""
        # Mirrors PyEVMBackend.call, which turns revert data into a message string.
        if "gas" not in transaction:
            transaction = {**transaction, "gas": self._max_available_gas()}
        unsigned = self._get_normalized_and_unsigned_evm_transaction(transaction, block_number)
        spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
        computation = _execute_call(self.chain, spoofed, transaction["from"], block_number)
        if computation.is_error:
            raise _CallFailed.from_vm_error(computation.error)
        return computation.output

    def estimate_gas(self, transaction: Any, block_number: Any = "latest") -> int:
        """``eth_estimateGas``; a failure raises :class:`_CallFailed` with the revert data."""
        try:
            return super().estimate_gas(transaction, block_number)
        except TransactionFailed as exc:
            raise _CallFailed.from_vm_error(exc.__cause__ or exc) from exc

    # -- lookups by transaction hash -----------------------------------------------------------

    def _find_transaction(self, transaction_hash: bytes) -> tuple[Any, Any, int]:
        # eth-tester scans every block from the head down; py-evm already keeps a
        # hash -> (block, index) index for canonical transactions, so use it.
        chain = self.chain
        if chain.header.gas_used:
            pending = chain.get_block()
            for index, transaction in enumerate(pending.transactions):
                if transaction.hash == transaction_hash:
                    return pending, transaction, index
        try:
            block_number, index = chain.chaindb.get_transaction_index(Hash32(transaction_hash))
        except EVMTransactionNotFound:
            raise TransactionNotFound(
                f"No transaction found for transaction hash: 0x{transaction_hash.hex()}"
            ) from None
        block = chain.get_canonical_block_by_number(block_number)
        return block, block.transactions[index], index

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._find_transaction(transaction_hash)
        is_pending = block.number == self.chain.header.block_number
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._find_transaction(transaction_hash)
        is_pending = block.number == self.chain.header.block_number
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(
            block, receipts, transaction, index, is_pending, self.chain.get_vm()
        )


def _execute_call(chain: Any, transaction: Any, sender: bytes, block_number: Any) -> Any:
    """Run a call on a snapshot of the block's state and throw the state away. The sender is
    lent the gas money first, as geth and anvil do for ``eth_call``: a wallet with no ether
    can still read a contract (eth-tester would refuse a caller who cannot afford the gas)."""
    state = _get_vm_for_block_number(chain, block_number).state
    snapshot = state.snapshot()
    try:
        fee = getattr(transaction, "max_fee_per_gas", None) or transaction.gas_price
        state.delta_balance(Address(sender), transaction.gas * fee)
        return state.apply_transaction(transaction)
    finally:
        state.revert(snapshot)


class _Guard:
    """One lock for everything that touches the chain, plus the open/closed flag."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.closed = False

    def check_open(self) -> None:
        if self.closed:
            raise ChainClosedError("the embedded chain is closed")


class _EmbeddedProvider(EthereumTesterProvider):
    """``EthereumTesterProvider`` that serialises requests: py-evm is not thread-safe, and an
    API serves requests from a thread pool."""

    def __init__(self, tester: EthereumTester, guard: _Guard) -> None:
        super().__init__(tester, api_endpoints=_api_endpoints())
        self._guard = guard

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._guard.lock:
            self._guard.check_open()
            try:
                return super().make_request(method, params)
            except _CallFailed as failure:
                request_id = self._current_request_id
                self._current_request_id += 1
                error = failure.rpc_error()
                return cast(RPCResponse, {"jsonrpc": "2.0", "id": request_id, "error": error})


def _api_endpoints() -> dict[str, dict[str, Callable[..., Any]]]:
    # web3's eth-tester endpoints hard-code eth-tester's chain id; report the dev chain id.
    endpoints = dict(API_ENDPOINTS)
    endpoints["eth"] = {**API_ENDPOINTS["eth"], "chainId": lambda *_: DEV_CHAIN_ID}
    endpoints["net"] = {**API_ENDPOINTS["net"], "version": lambda *_: str(DEV_CHAIN_ID)}
    return endpoints


def _acquire_lock(lock_path: Path) -> int:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # flock, not a lock file's mere existence: the kernel drops it when the holder dies,
        # so a crashed process never leaves the chain locked.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise ChainLockedError(
            f"the embedded chain in {lock_path.parent} is already open "
            f"(lock {lock_path} held by pid {holder}); close it first or connect to that "
            "process instead"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _release_lock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _encode_params(params: dict[str, Any]) -> str:
    return json.dumps(
        {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in params.items()},
        sort_keys=True,
    )


class EmbeddedChain:
    """A persistent in-process dev chain reached through ``web3.Web3``.

    Use :meth:`open`; close with :meth:`close` or a ``with`` block. Access from several threads
    is serialised internally.
    """

    w3: Web3
    """Connected ``Web3`` instance; usable until :meth:`close`."""
    accounts: tuple[DevAccount, ...]
    """The funded dev accounts, unlocked for ``w3.eth.send_transaction``."""
    chain_id: int
    path: Path
    """The data directory."""

    def __init__(
        self,
        path: Path,
        store: SQLiteKV,
        backend: _PersistentBackend,
        lock_fd: int,
        accounts: tuple[DevAccount, ...],
    ) -> None:
        """Internal: use :meth:`open`."""
        self.path = path
        self.chain_id = DEV_CHAIN_ID
        self.accounts = accounts
        self._store = store
        self._backend = backend
        self._lock_fd = lock_fd
        self._guard = _Guard()
        self._tester = EthereumTester(backend=backend, auto_mine_transactions=True)
        self.w3 = Web3(_EmbeddedProvider(self._tester, self._guard))

    @classmethod
    def open(cls, path: Path | str, *, clock: Callable[[], float] = time.time) -> Self:
        """Open the chain stored in data directory ``path``, creating directory and genesis if
        needed.

        ``clock`` returns the wall-clock time in seconds (inject a fake one in tests). Raises
        :class:`ChainLockedError` if the chain is already open elsewhere and
        :class:`EmbeddedChainError` if the file belongs to an incompatible chain.
        """
        data_dir = Path(path)
        data_dir.mkdir(parents=True, exist_ok=True)
        lock_fd = _acquire_lock(data_dir / LOCK_FILENAME)
        store: SQLiteKV | None = None
        try:
            store = SQLiteKV(data_dir / CHAIN_DB_FILENAME)
            meta = store.all_meta()
            # An empty meta table means a new file (or one whose genesis never committed).
            backend = _load_existing(store, meta, clock) if meta else _create_genesis(store, clock)
            accounts = tuple(_dev_account(i, key) for i, key in enumerate(backend.account_keys))
            return cls(data_dir, store, backend, lock_fd, accounts)
        except BaseException:
            if store is not None:
                store.close()
            _release_lock(lock_fd)
            raise

    # -- time ----------------------------------------------------------------------------------

    def advance_time(self, seconds: int) -> int:
        """Move the chain clock forward by ``seconds`` and mine one empty block whose timestamp
        is exactly the latest block's plus ``seconds``. Returns that timestamp.

        Later blocks keep the shifted clock (also after a restart).
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise ValueError(f"seconds must be a positive integer, got {seconds!r}")
        with self._guard.lock:
            self._guard.check_open()
            # Mined through eth-tester, not the backend, so its block filters see the block.
            return self._backend.advance_time(seconds, mine=self._tester.mine_blocks)

    def now(self) -> int:
        """The chain's current time: the timestamp a block mined now would get."""
        with self._guard.lock:
            self._guard.check_open()
            return self._backend.next_timestamp()

    @property
    def time_offset(self) -> int:
        """Seconds the chain clock runs ahead of the wall clock (sum of all time travel)."""
        return self._backend.time_offset

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks (e.g. to reach a confirmation depth)."""
        if blocks < 1:
            raise ValueError(f"blocks must be at least 1, got {blocks!r}")
        with self._guard.lock:
            self._guard.check_open()
            self._tester.mine_blocks(blocks)

    @contextlib.contextmanager
    def tester(self) -> Iterator[EthereumTester]:
        """The chain's eth-tester, held under the chain's lock, for a caller that speaks to the
        chain below web3 (the JSON-RPC endpoint, :mod:`mycelix.rpc`). Hold it briefly: every
        other user of the chain waits meanwhile."""
        with self._guard.lock:
            self._guard.check_open()
            yield self._tester

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._guard.closed

    def close(self) -> None:
        """Close the file and release the lock. Safe to call twice."""
        with self._guard.lock:
            if self._guard.closed:
                return
            self._guard.closed = True
            try:
                self._store.close()
            finally:
                _release_lock(self._lock_fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<EmbeddedChain {self.path} chain_id={self.chain_id} {state}>"


def _create_genesis(store: SQLiteKV, clock: Callable[[], float]) -> _PersistentBackend:
    keys = _derive_keys(DEV_ACCOUNT_COUNT, DEV_MNEMONIC, DEV_HD_PATH)
    genesis_state: dict[Address, Any] = {
        Address(key.public_key.to_canonical_address()): {
            "balance": DEV_ACCOUNT_BALANCE,
            "nonce": 0,
            "code": b"",
            "storage": {},
        }
        for key in keys
    }
    genesis_params = get_default_genesis_params(overrides={"timestamp": int(clock())})
    chain = cast(_DevChain, _DevChain.from_genesis(store, genesis_params, genesis_state))
    genesis = chain.get_canonical_head()
    backend = _PersistentBackend(chain, keys, store, clock, time_offset=0)
    # Genesis and every piece of metadata land in the same SQLite transaction: a crash while
    # creating leaves an empty file, which the next open simply initialises again.
    store.commit(
        {
            "schema_version": _SCHEMA_VERSION,
            "chain_id": str(DEV_CHAIN_ID),
            "fork": _FORK,
            "genesis_hash": genesis.hash.hex(),
            "genesis_params": _encode_params(genesis_params),
            "dev_accounts": json.dumps(
                {
                    "mnemonic": DEV_MNEMONIC,
                    "hd_path": DEV_HD_PATH,
                    "count": DEV_ACCOUNT_COUNT,
                    "balance_wei": str(DEV_ACCOUNT_BALANCE),
                }
            ),
            "head_hash": genesis.hash.hex(),
            "head_number": "0",
            "time_offset": "0",
        }
    )
    return backend


def _load_existing(
    store: SQLiteKV, meta: dict[str, str], clock: Callable[[], float]
) -> _PersistentBackend:
    expected = {"schema_version": _SCHEMA_VERSION, "chain_id": str(DEV_CHAIN_ID), "fork": _FORK}
    for name, value in expected.items():
        if meta.get(name) != value:
            raise EmbeddedChainError(
                f"{store.path} was written by an incompatible version "
                f"({name}={meta.get(name)!r}, expected {value!r})"
            )
    # Chain.__init__ reads py-evm's canonical head from the store: the chain resumes there.
    chain = _DevChain(store)
    head = chain.get_canonical_head()
    if head.hash.hex() != meta["head_hash"]:
        raise EmbeddedChainError(
            f"{store.path} is inconsistent: py-evm's head is block {head.block_number} "
            f"but the metadata says {meta['head_number']} (0x{meta['head_hash']})"
        )
    dev = json.loads(meta["dev_accounts"])
    keys = _derive_keys(int(dev["count"]), dev["mnemonic"], dev["hd_path"])
    return _PersistentBackend(chain, keys, store, clock, time_offset=int(meta["time_offset"]))

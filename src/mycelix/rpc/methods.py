"""The Ethereum JSON-RPC methods served over the embedded chain, one function each.

Each method takes its validated parameters and the chain's eth-tester (held under the chain's
lock, so a request serialises with every other user of the chain, the platform's own sender
included) and returns the JSON result a geth or anvil node would send. Failures raise
:class:`RpcError` with the node's code: 3 plus the revert data for a reverting call, -32000 for
a transaction the chain refuses, -32602 for a parameter that does not parse.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_tester import EthereumTester
from eth_tester.exceptions import BlockNotFound, TransactionNotFound

from mycelix import __version__
from mycelix.chain.embedded import DEV_CHAIN_ID, CallFailed, EmbeddedChain
from mycelix.rpc import params as p
from mycelix.rpc import serialize as s

__all__ = ["METHODS", "Method", "RpcError", "call_method"]

log = logging.getLogger("mycelix.rpc")

PRIORITY_FEE = 10**9
"""The tip wallets are told to pay (anvil's default, 1 gwei)."""
MAX_FEE_HISTORY_BLOCKS = 1024
MAX_PERCENTILES = 100
MAX_LOG_RANGE = 10_000
"""Most blocks one ``eth_getLogs`` scans (like hosted nodes): a wider query is refused rather
than holding the chain for seconds."""
MAX_FILTER_ITEMS = 100
_BLOB_UPDATE_FRACTION = 5_007_716  # Prague (EIP-7691)
_MAX_BLOB_GAS = 9 * 131_072


class RpcError(Exception):
    """A JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


# eth-tester for most methods, the EmbeddedChain itself for the dev methods.
Impl = Callable[[Any, list[Any]], Any]


@dataclass(frozen=True)
class Method:
    impl: Impl
    required: int
    optional: int = 0
    dev: bool = False
    """Dev-only (time travel): answered only to loopback clients."""


# -- helpers -----------------------------------------------------------------------------------


def _block_for_state(t: EthereumTester, block: int | str | dict[str, Any]) -> int | str:
    """A block id eth-tester takes; an EIP-1898 hash becomes its number."""
    if isinstance(block, dict):
        try:
            return int(t.get_block_by_hash(block["hash"])["number"])
        except BlockNotFound:
            raise RpcError(-32000, f"header for hash {block['hash']} not found") from None
    return block


@contextlib.contextmanager
def _state_errors() -> Iterator[None]:
    try:
        yield
    except BlockNotFound:
        raise RpcError(-32000, "header not found") from None


def _optional_block(args: list[Any], index: int) -> int | str | dict[str, Any]:
    return p.block_id(args[index], "block") if len(args) > index else "latest"


def _timestamp(t: EthereumTester, number: int) -> int:
    return int(t.get_block_by_number(number)["timestamp"])


# -- chain identity ----------------------------------------------------------------------------


def _chain_id(t: EthereumTester, args: list[Any]) -> str:
    return s.hex_quantity(DEV_CHAIN_ID)


def _net_version(t: EthereumTester, args: list[Any]) -> str:
    return str(DEV_CHAIN_ID)


def _client_version(t: EthereumTester, args: list[Any]) -> str:
    return f"mycelix/v{__version__}/py-evm"


# -- blocks ------------------------------------------------------------------------------------


def _block_number(t: EthereumTester, args: list[Any]) -> str:
    return s.hex_quantity(int(t.get_block_by_number("latest")["number"]))


def _full_transactions(t: EthereumTester, raw: dict[str, Any]) -> list[dict[str, Any]]:
    stamp = int(raw["timestamp"])
    return [s.transaction(t.get_transaction_by_hash(h), stamp) for h in raw["transactions"]]


def _render_block(t: EthereumTester, raw: dict[str, Any], full: bool) -> dict[str, Any]:
    return s.block(raw, _full_transactions(t, raw) if full else None)


def _get_block_by_number(t: EthereumTester, args: list[Any]) -> dict[str, Any] | None:
    block = p.block_id(args[0], "block")
    if isinstance(block, dict):
        raise p.InvalidParams("block: expected a block number or tag")
    full = p.boolean(args[1], "fullTransactions") if len(args) > 1 else False
    try:
        raw = t.get_block_by_number(block, full_transactions=False)
    except BlockNotFound:
        return None
    return _render_block(t, raw, full)


def _get_block_by_hash(t: EthereumTester, args: list[Any]) -> dict[str, Any] | None:
    block_hash = p.hash32(args[0], "blockHash")
    full = p.boolean(args[1], "fullTransactions") if len(args) > 1 else False
    try:
        raw = t.get_block_by_hash(block_hash, full_transactions=False)
    except BlockNotFound:
        return None
    return _render_block(t, raw, full)


# -- state -------------------------------------------------------------------------------------


def _get_balance(t: EthereumTester, args: list[Any]) -> str:
    account = p.address(args[0], "address")
    block = _optional_block(args, 1)
    with _state_errors():
        return s.hex_quantity(t.get_balance(account, _block_for_state(t, block)))


def _get_transaction_count(t: EthereumTester, args: list[Any]) -> str:
    account = p.address(args[0], "address")
    block = _optional_block(args, 1)
    with _state_errors():
        return s.hex_quantity(t.get_nonce(account, _block_for_state(t, block)))


def _get_code(t: EthereumTester, args: list[Any]) -> str:
    account = p.address(args[0], "address")
    block = _optional_block(args, 1)
    with _state_errors():
        return str(t.get_code(account, _block_for_state(t, block)))


def _get_storage_at(t: EthereumTester, args: list[Any]) -> str:
    account = p.address(args[0], "address")
    slot_arg = args[1]
    if isinstance(slot_arg, str) and len(slot_arg) == 66:
        slot = int(p.hash32(slot_arg, "slot"), 16)
    else:
        slot = p.quantity(slot_arg, "slot")
    block = _optional_block(args, 2)
    with _state_errors():
        value = t.get_storage_at(account, hex(slot), _block_for_state(t, block))
    return "0x" + int(str(value), 16).to_bytes(32, "big").hex()


# -- calls -------------------------------------------------------------------------------------


def _call_object(t: EthereumTester, args: list[Any]) -> tuple[dict[str, Any], int | str]:
    tx = p.transaction(args[0], "transaction")
    tx.setdefault("from", "0x" + "00" * 20)
    block = _block_for_state(t, _optional_block(args, 1))
    # A call may ask for more gas than a block holds; the node caps it (geth's gas cap).
    limit = int(t.get_block_by_number("latest")["gas_limit"])
    tx["gas"] = min(tx.get("gas", limit), limit)
    # Fee fields are checked against the block's base fee by py-evm; a call without them
    # pays nothing, so drop them rather than fail on an old price (geth does the same).
    for field in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas"):
        tx.pop(field, None)
    return tx, block


@contextlib.contextmanager
def _execution_errors() -> Iterator[None]:
    try:
        yield
    except CallFailed as failure:
        error = failure.rpc_error()
        raise RpcError(error["code"], error["message"], error.get("data")) from None
    except BlockNotFound:
        raise RpcError(-32000, "header not found") from None
    except Exception as exc:  # py-evm's refusals (e.g. a value beyond the balance) share no base
        raise RpcError(-32000, _first_line(exc)) from None


def _call(t: EthereumTester, args: list[Any]) -> str:
    tx, block = _call_object(t, args)
    with _execution_errors():
        return str(t.call(tx, block))


def _estimate_gas(t: EthereumTester, args: list[Any]) -> str:
    tx, block = _call_object(t, args)
    with _execution_errors():
        return s.hex_quantity(int(t.estimate_gas(tx, block)))


# -- fees --------------------------------------------------------------------------------------


def _gas_price(t: EthereumTester, args: list[Any]) -> str:
    pending = t.get_block_by_number("pending")
    return s.hex_quantity(int(pending.get("base_fee_per_gas") or 0) + PRIORITY_FEE)


def _max_priority_fee(t: EthereumTester, args: list[Any]) -> str:
    return s.hex_quantity(PRIORITY_FEE)


def _fee_history(t: EthereumTester, args: list[Any]) -> dict[str, Any]:
    raw_count = args[0]
    if isinstance(raw_count, int) and not isinstance(raw_count, bool):
        count = raw_count  # some wallets send a plain number
    else:
        count = p.quantity(raw_count, "blockCount", bits=64)
    if not 1 <= count <= MAX_FEE_HISTORY_BLOCKS:
        raise p.InvalidParams(f"blockCount: must be between 1 and {MAX_FEE_HISTORY_BLOCKS}")
    newest_id = p.block_id(args[1], "newestBlock")
    percentiles = _percentiles(args[2] if len(args) > 2 else None)
    latest = int(t.get_block_by_number("latest")["number"])
    if isinstance(newest_id, dict):
        newest = int(_block_for_state(t, newest_id))
    elif newest_id == "earliest":
        newest = 0
    elif newest_id in ("latest", "pending"):
        newest = latest
    else:
        newest = int(newest_id)
    if newest > latest:
        raise RpcError(-32000, f"block {newest} is beyond the head ({latest})")
    oldest = max(0, newest - count + 1)
    base_fees, blob_fees, ratios, blob_ratios, rewards = [], [], [], [], []
    for number in range(oldest, newest + 1):
        raw = t.get_block_by_number(number)
        base_fee, ratio = s.fee_history_block(raw)
        base_fees.append(s.hex_quantity(base_fee))
        blob_fees.append(s.hex_quantity(_blob_base_fee(int(raw.get("excess_blob_gas") or 0))))
        ratios.append(ratio)
        blob_ratios.append(int(raw.get("blob_gas_used") or 0) / _MAX_BLOB_GAS)
        if percentiles is not None:
            rewards.append([s.hex_quantity(r) for r in _rewards(t, raw, base_fee, percentiles)])
    following = t.get_block_by_number(newest + 1 if newest < latest else "pending")
    base_fees.append(s.hex_quantity(int(following.get("base_fee_per_gas") or 0)))
    blob_fees.append(s.hex_quantity(_blob_base_fee(int(following.get("excess_blob_gas") or 0))))
    history: dict[str, Any] = {
        "oldestBlock": s.hex_quantity(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
        "baseFeePerBlobGas": blob_fees,
        "blobGasUsedRatio": blob_ratios,
    }
    if percentiles is not None:
        history["reward"] = rewards
    return history


def _percentiles(value: Any) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_PERCENTILES:
        raise p.InvalidParams(f"rewardPercentiles: expected at most {MAX_PERCENTILES} numbers")
    previous = 0.0
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not 0 <= item <= 100:
            raise p.InvalidParams("rewardPercentiles: each must be a number from 0 to 100")
        if item < previous:
            raise p.InvalidParams("rewardPercentiles: must be in ascending order")
        previous = float(item)
    return [float(v) for v in value]


def _rewards(
    t: EthereumTester, raw: dict[str, Any], base_fee: int, percentiles: list[float]
) -> list[int]:
    """geth's algorithm: tips sorted ascending, each percentile of the block's gas used."""
    tips: list[tuple[int, int]] = []
    for tx_hash in raw["transactions"]:
        tx = t.get_transaction_by_hash(tx_hash)
        gas_used = int(t.get_transaction_receipt(tx_hash)["gas_used"])
        if tx.get("max_fee_per_gas") is not None:
            tip = min(int(tx["max_priority_fee_per_gas"]), int(tx["max_fee_per_gas"]) - base_fee)
        else:
            tip = int(tx["gas_price"]) - base_fee
        tips.append((max(tip, 0), gas_used))
    if not tips:
        return [0] * len(percentiles)
    tips.sort()
    total = int(raw["gas_used"])
    result, index, cumulative = [], 0, tips[0][1]
    for percentile in percentiles:
        threshold = total * percentile / 100
        while cumulative < threshold and index < len(tips) - 1:
            index += 1
            cumulative += tips[index][1]
        result.append(tips[index][0])
    return result


def _blob_base_fee(excess: int) -> int:
    # EIP-4844's fake_exponential(MIN_BASE_FEE_PER_BLOB_GAS=1, excess, update fraction).
    i, output, accumulator = 1, 0, _BLOB_UPDATE_FRACTION
    while accumulator > 0:
        output += accumulator
        accumulator = accumulator * excess // (_BLOB_UPDATE_FRACTION * i)
        i += 1
    return output // _BLOB_UPDATE_FRACTION


# -- transactions ------------------------------------------------------------------------------


def _send_raw_transaction(t: EthereumTester, args: list[Any]) -> str:
    raw = p.data(args[0], "transaction")
    if len(raw) <= 2:
        raise p.InvalidParams("transaction: empty")
    try:
        # Decoded (and its signature recovered) before the chain sees it, so bytes that are
        # no transaction are a parameter error, as on geth and anvil.
        Account.recover_transaction(raw)
    except Exception as exc:
        raise RpcError(-32602, f"failed to decode transaction: {_first_line(exc)}") from None
    try:
        return str(t.send_raw_transaction(raw))
    except Exception as exc:  # py-evm's own validation errors have no common base
        raise RpcError(-32000, _first_line(exc)) from None


def _get_transaction_by_hash(t: EthereumTester, args: list[Any]) -> dict[str, Any] | None:
    tx_hash = p.hash32(args[0], "transactionHash")
    try:
        raw = t.get_transaction_by_hash(tx_hash)
    except TransactionNotFound:
        return None
    number = raw.get("block_number")
    return s.transaction(raw, None if number is None else _timestamp(t, int(number)))


def _get_transaction_receipt(t: EthereumTester, args: list[Any]) -> dict[str, Any] | None:
    tx_hash = p.hash32(args[0], "transactionHash")
    try:
        raw = t.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None
    if raw.get("block_number") is None:
        return None
    return s.receipt(raw, _timestamp(t, int(raw["block_number"])))


def _get_logs(t: EthereumTester, args: list[Any]) -> list[dict[str, Any]]:
    query = args[0]
    if not isinstance(query, dict):
        raise p.InvalidParams("filter: expected an object")
    unknown = set(query) - {"fromBlock", "toBlock", "address", "topics", "blockHash"}
    if unknown:
        raise p.InvalidParams(f"filter: unknown field {sorted(unknown)[0]!r}")
    latest = int(t.get_block_by_number("latest")["number"])
    if query.get("blockHash") is not None:
        if query.get("fromBlock") is not None or query.get("toBlock") is not None:
            raise p.InvalidParams("filter: blockHash excludes fromBlock and toBlock")
        block_hash = p.hash32(query["blockHash"], "filter.blockHash")
        try:
            first = last = int(t.get_block_by_hash(block_hash)["number"])
        except BlockNotFound:
            raise RpcError(-32000, "unknown block") from None
    else:
        first = _log_bound(t, query.get("fromBlock"), latest, "fromBlock")
        last = _log_bound(t, query.get("toBlock"), latest, "toBlock")
    if first > last:
        return []
    if last - first + 1 > MAX_LOG_RANGE:
        raise RpcError(-32005, f"query spans more than {MAX_LOG_RANGE} blocks; narrow the range")
    addresses = query.get("address")
    if isinstance(addresses, list):
        if len(addresses) > MAX_FILTER_ITEMS:
            raise p.InvalidParams(f"filter.address: at most {MAX_FILTER_ITEMS} addresses")
        addresses = [p.address(a, "filter.address") for a in addresses] or None
    elif addresses is not None:
        addresses = p.address(addresses, "filter.address")
    topics = _topics(query.get("topics"))
    entries = t.get_logs(from_block=first, to_block=last, address=addresses, topics=topics)
    times: dict[int, int] = {}
    out = []
    for entry in entries:
        number = int(entry["block_number"])
        if number not in times:
            times[number] = _timestamp(t, number)
        out.append(s.log(entry, times[number]))
    return out


def _log_bound(t: EthereumTester, value: Any, latest: int, name: str) -> int:
    if value is None:
        return latest
    block = p.block_id(value, f"filter.{name}")
    if isinstance(block, dict):
        raise p.InvalidParams(f"filter.{name}: expected a block number or tag")
    if block == "earliest":
        return 0
    if isinstance(block, str):
        return latest
    return min(int(block), latest)


def _topics(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 4:
        raise p.InvalidParams("filter.topics: expected at most 4 positions")
    topics: list[Any] = []
    for i, position in enumerate(value):
        if position is None:
            topics.append(None)
        elif isinstance(position, list):
            if len(position) > MAX_FILTER_ITEMS:
                raise p.InvalidParams(f"filter.topics[{i}]: at most {MAX_FILTER_ITEMS} topics")
            topics.append([p.hash32(x, f"filter.topics[{i}]") for x in position] or None)
        else:
            topics.append(p.hash32(position, f"filter.topics[{i}]"))
    while topics and topics[-1] is None:
        topics.pop()
    return topics or None


# -- dev-only (time) ---------------------------------------------------------------------------


def _seconds(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        seconds = p.quantity(value, "seconds", bits=40)
    if not 1 <= seconds < 2**40:
        raise p.InvalidParams("seconds: must be a positive number of seconds")
    return seconds


# The two dev methods need the EmbeddedChain, not only its eth-tester; `call_method` passes it.
_CHAIN_METHODS = frozenset({"evm_increaseTime", "evm_mine"})


def _increase_time(chain: EmbeddedChain, args: list[Any]) -> int:
    # Unlike anvil, which shifts the clock for the next block, the embedded chain mines that
    # block now, at exactly the latest block's timestamp plus `seconds`.
    chain.advance_time(_seconds(args[0]))
    return chain.time_offset


def _mine(chain: EmbeddedChain, args: list[Any]) -> str:
    chain.mine(1)
    return "0x0"


# -- the table ---------------------------------------------------------------------------------

METHODS: dict[str, Method] = {
    "eth_chainId": Method(_chain_id, 0),
    "net_version": Method(_net_version, 0),
    "net_listening": Method(lambda t, a: True, 0),
    "net_peerCount": Method(lambda t, a: "0x0", 0),
    "web3_clientVersion": Method(_client_version, 0),
    "eth_syncing": Method(lambda t, a: False, 0),
    "eth_accounts": Method(lambda t, a: [], 0),
    "eth_blockNumber": Method(_block_number, 0),
    "eth_getBlockByNumber": Method(_get_block_by_number, 1, 1),
    "eth_getBlockByHash": Method(_get_block_by_hash, 1, 1),
    "eth_getBalance": Method(_get_balance, 1, 1),
    "eth_getTransactionCount": Method(_get_transaction_count, 1, 1),
    "eth_getCode": Method(_get_code, 1, 1),
    "eth_getStorageAt": Method(_get_storage_at, 2, 1),
    "eth_call": Method(_call, 1, 1),
    "eth_estimateGas": Method(_estimate_gas, 1, 1),
    "eth_gasPrice": Method(_gas_price, 0),
    "eth_maxPriorityFeePerGas": Method(_max_priority_fee, 0),
    "eth_feeHistory": Method(_fee_history, 2, 1),
    "eth_sendRawTransaction": Method(_send_raw_transaction, 1),
    "eth_getTransactionByHash": Method(_get_transaction_by_hash, 1),
    "eth_getTransactionReceipt": Method(_get_transaction_receipt, 1),
    "eth_getLogs": Method(_get_logs, 1),
    "evm_increaseTime": Method(_increase_time, 1, dev=True),
    "evm_mine": Method(_mine, 0, 1, dev=True),
}

SIGNING_METHODS = frozenset(
    {
        "eth_sendTransaction",
        "eth_sign",
        "eth_signTransaction",
        "eth_signTypedData",
        "eth_signTypedData_v3",
        "eth_signTypedData_v4",
        "personal_sign",
    }
)


def call_method(chain: EmbeddedChain, name: str, args: list[Any], *, dev_allowed: bool) -> Any:
    """Run one method; raise :class:`RpcError` (or :class:`~mycelix.rpc.params.InvalidParams`)."""
    method = METHODS.get(name)
    if method is None:
        if name in SIGNING_METHODS:
            raise RpcError(
                -32601,
                f"{name} is not served: this node signs for no one; sign in the wallet and "
                "send with eth_sendRawTransaction",
            )
        raise RpcError(-32601, f"the method {_clip(name)} does not exist/is not available")
    if method.dev and not dev_allowed:
        raise RpcError(-32601, f"{name} is a dev method, answered only to loopback clients")
    if len(args) < method.required:
        raise p.InvalidParams(f"missing value for required argument {len(args)}")
    if len(args) > method.required + method.optional:
        raise p.InvalidParams(
            f"too many arguments, want at most {method.required + method.optional}"
        )
    if name in _CHAIN_METHODS:
        return method.impl(chain, args)
    with chain.tester() as tester:
        return method.impl(tester, args)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _clip(name: str) -> str:
    return repr(name if len(name) <= 64 else name[:60] + "…")

"""eth-tester's Python objects (snake_case keys, integers, checksummed addresses) as the JSON a
geth or anvil node sends: camelCase keys, ``0x`` quantities, lower-case addresses, 256-byte
blooms."""

from __future__ import annotations

from typing import Any

from eth_bloom import BloomFilter

__all__ = ["block", "fee_history_block", "hex_quantity", "log", "receipt", "transaction"]


def hex_quantity(value: int) -> str:
    return hex(value)


def _bloom(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


def _addr(value: str | None) -> str | None:
    return value.lower() if value else None


def _bytes(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


_BLOCK_KEYS = (
    ("hash", "hash", _bytes),
    ("parent_hash", "parentHash", _bytes),
    ("sha3_uncles", "sha3Uncles", _bytes),
    ("coinbase", "miner", _addr),
    ("state_root", "stateRoot", _bytes),
    ("transactions_root", "transactionsRoot", _bytes),
    ("receipts_root", "receiptsRoot", _bytes),
    ("logs_bloom", "logsBloom", _bloom),
    ("difficulty", "difficulty", hex_quantity),
    ("total_difficulty", "totalDifficulty", hex_quantity),
    ("number", "number", hex_quantity),
    ("gas_limit", "gasLimit", hex_quantity),
    ("gas_used", "gasUsed", hex_quantity),
    ("timestamp", "timestamp", hex_quantity),
    ("extra_data", "extraData", _bytes),
    ("mix_hash", "mixHash", _bytes),
    ("nonce", "nonce", _bytes),
    ("base_fee_per_gas", "baseFeePerGas", hex_quantity),
    ("withdrawals_root", "withdrawalsRoot", _bytes),
    ("blob_gas_used", "blobGasUsed", hex_quantity),
    ("excess_blob_gas", "excessBlobGas", hex_quantity),
    ("parent_beacon_block_root", "parentBeaconBlockRoot", _bytes),
    ("requests_hash", "requestsHash", _bytes),
    ("size", "size", hex_quantity),
)


def block(raw: dict[str, Any], full: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A block; ``full`` are its serialised transactions when asked for in full."""
    out: dict[str, Any] = {}
    for source, target, convert in _BLOCK_KEYS:
        if source in raw and raw[source] is not None:
            out[target] = convert(raw[source])
    out["uncles"] = [_bytes(u) for u in raw.get("uncles", ())]
    out["transactions"] = full if full is not None else [_bytes(t) for t in raw["transactions"]]
    out["withdrawals"] = [
        {
            "index": hex_quantity(w["index"]),
            "validatorIndex": hex_quantity(w["validator_index"]),
            "address": _addr(w["address"]),
            "amount": hex_quantity(w["amount"]),
        }
        for w in raw.get("withdrawals", ())
    ]
    return out


def transaction(raw: dict[str, Any], block_timestamp: int | None = None) -> dict[str, Any]:
    kind = int(str(raw.get("type", "0x0")), 16)
    out: dict[str, Any] = {
        "type": hex_quantity(kind),
        "hash": _bytes(raw["hash"]),
        "nonce": hex_quantity(raw["nonce"]),
        "blockHash": _bytes(raw["block_hash"]) if raw.get("block_hash") else None,
        "blockNumber": hex_quantity(raw["block_number"])
        if raw.get("block_number") is not None
        else None,
        "transactionIndex": hex_quantity(raw["transaction_index"])
        if raw.get("transaction_index") is not None
        else None,
        "from": _addr(raw["from"]),
        "to": _addr(raw.get("to") or None),
        "value": hex_quantity(raw["value"]),
        "gas": hex_quantity(raw["gas"]),
        "gasPrice": hex_quantity(raw["gas_price"]),
        "input": _bytes(raw["data"]),
        "r": hex_quantity(raw["r"]),
        "s": hex_quantity(raw["s"]),
        "v": hex_quantity(raw["v"]),
    }
    if kind:
        out["chainId"] = hex_quantity(raw["chain_id"])
        out["yParity"] = hex_quantity(raw.get("y_parity", raw["v"]))
        out["accessList"] = [
            {
                "address": _addr(entry["address"]),
                "storageKeys": [_bytes(k) for k in entry["storage_keys"]],
            }
            for entry in raw.get("access_list", ())
        ]
    if kind >= 2:
        out["maxFeePerGas"] = hex_quantity(raw["max_fee_per_gas"])
        out["maxPriorityFeePerGas"] = hex_quantity(raw["max_priority_fee_per_gas"])
    elif "chain_id" in raw and raw["chain_id"] is not None:
        out["chainId"] = hex_quantity(raw["chain_id"])
    if block_timestamp is not None:
        out["blockTimestamp"] = hex_quantity(block_timestamp)
    return out


def log(raw: dict[str, Any], block_timestamp: int | None = None) -> dict[str, Any]:
    out = {
        "address": _addr(raw["address"]),
        "topics": [_bytes(t) for t in raw["topics"]],
        "data": _bytes(raw["data"]),
        "blockHash": _bytes(raw["block_hash"]),
        "blockNumber": hex_quantity(raw["block_number"]),
        "transactionHash": _bytes(raw["transaction_hash"]),
        "transactionIndex": hex_quantity(raw["transaction_index"]),
        "logIndex": hex_quantity(raw["log_index"]),
        "removed": False,
    }
    if block_timestamp is not None:
        out["blockTimestamp"] = hex_quantity(block_timestamp)
    return out


def receipt(raw: dict[str, Any], block_timestamp: int | None = None) -> dict[str, Any]:
    logs = [log(entry, block_timestamp) for entry in raw["logs"]]
    bloom = BloomFilter()
    for entry in raw["logs"]:
        bloom.add(bytes.fromhex(_bytes(entry["address"])[2:]))
        for topic in entry["topics"]:
            bloom.add(bytes.fromhex(_bytes(topic)[2:]))
    out = {
        "type": hex_quantity(int(str(raw.get("type", "0x0")), 16)),
        "status": hex_quantity(raw["status"]),
        "cumulativeGasUsed": hex_quantity(raw["cumulative_gas_used"]),
        "logs": logs,
        "logsBloom": _bloom(int(bloom)),
        "transactionHash": _bytes(raw["transaction_hash"]),
        "transactionIndex": hex_quantity(raw["transaction_index"]),
        "blockHash": _bytes(raw["block_hash"]),
        "blockNumber": hex_quantity(raw["block_number"]),
        "gasUsed": hex_quantity(raw["gas_used"]),
        "effectiveGasPrice": hex_quantity(raw["effective_gas_price"]),
        "from": _addr(raw["from"]),
        "to": _addr(raw.get("to") or None),
        "contractAddress": _addr(raw.get("contract_address")),
    }
    if block_timestamp is not None:
        out["blockTimestamp"] = hex_quantity(block_timestamp)
    return out


def fee_history_block(raw: dict[str, Any]) -> tuple[int, float]:
    """(base fee, gas used ratio) of a block, for ``eth_feeHistory``."""
    return int(raw.get("base_fee_per_gas") or 0), raw["gas_used"] / max(raw["gas_limit"], 1)

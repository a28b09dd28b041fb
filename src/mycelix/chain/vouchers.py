"""Play vouchers: the EIP-712 message a listener signs so the router can charge one stream to their
balance later, and the tuple `settle_vouchers` takes.

The typed data matches `listener_balances.vy`: domain ("Mycelix Router", "1", chain id, router
address), primary type `PlayVoucher(address listener,bytes32 song_id,uint256 amount,uint256 nonce,
uint256 expiry)`. Signing and recovery go through eth_account's EIP-712 encoder, so what a wallet's
`eth_signTypedData_v4` produces verifies here and on chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

DOMAIN_NAME = "Mycelix Router"
DOMAIN_VERSION = "1"
VOUCHER_FIELDS = [
    {"name": "listener", "type": "address"},
    {"name": "song_id", "type": "bytes32"},
    {"name": "amount", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "expiry", "type": "uint256"},
]
MAX_NONCE = 2**64 - 1
# How far below a listener's highest settled nonce a voucher may still settle (the router's window).
NONCE_WINDOW = 64


class SkipReason(IntEnum):
    """`VoucherSkipped.reason` codes; the ordinals are the router's SKIP_ constants."""

    SIGNATURE = 1
    EXPIRED = 2
    REPLAYED = 3
    BALANCE = 4
    SONG = 5
    REFUSED = 6
    BATCH_FULL = 7


@dataclass(frozen=True)
class Voucher:
    """A listener's authorisation of one stream of `song_id` for at most `amount` wei."""

    listener: str
    song_id: bytes
    amount: int
    nonce: int
    expiry: int

    def message(self) -> dict[str, Any]:
        return {
            "listener": to_checksum_address(self.listener),
            "song_id": self.song_id,
            "amount": self.amount,
            "nonce": self.nonce,
            "expiry": self.expiry,
        }


@dataclass(frozen=True)
class SignedVoucher:
    voucher: Voucher
    signature: bytes  # 65 bytes: r ‖ s ‖ v

    def as_tuple(self) -> tuple[str, bytes, int, int, int, bytes, bytes]:
        """The router's `PlayVoucher` struct, as web3 encodes it: the signature in EIP-2098
        compact form (r, and s with the recovery bit on top)."""
        v = self.voucher
        return (
            to_checksum_address(v.listener),
            v.song_id,
            v.amount,
            v.nonce,
            v.expiry,
            *compact(self.signature),
        )


def compact(signature: bytes) -> tuple[bytes, bytes]:
    """A 65-byte r ‖ s ‖ v signature as EIP-2098's (r, vs)."""
    if len(signature) != 65:
        raise ValueError("a signature is 65 bytes (r, s, v)")
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    parity = v - 27 if v >= 27 else v
    if parity not in (0, 1) or s >= 2**255:
        raise ValueError("not a canonical secp256k1 signature")
    return r, (s | (parity << 255)).to_bytes(32, "big")


def typed_data(voucher: Voucher, chain_id: int, router: str) -> dict[str, Any]:
    """The full EIP-712 typed data of `voucher`, as a wallet's `eth_signTypedData_v4` takes it."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PlayVoucher": VOUCHER_FIELDS,
        },
        "primaryType": "PlayVoucher",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(router),
        },
        "message": voucher.message(),
    }


def sign(account: LocalAccount, voucher: Voucher, chain_id: int, router: str) -> SignedVoucher:
    """`account`'s EIP-712 signature of `voucher` for `router` on chain `chain_id`."""
    signable = encode_typed_data(full_message=typed_data(voucher, chain_id, router))
    return SignedVoucher(voucher, bytes(account.sign_message(signable).signature))


def signer(signed: SignedVoucher, chain_id: int, router: str) -> str:
    """The address that signed `signed` for this chain and router (not necessarily its listener)."""
    signable = encode_typed_data(full_message=typed_data(signed.voucher, chain_id, router))
    return str(Account.recover_message(signable, signature=signed.signature))

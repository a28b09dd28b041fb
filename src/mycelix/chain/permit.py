"""EIP-2612 permits: an owner's signature that sets an allowance, so a deposit into the router is
one transaction instead of `approve` then `deposit`.

The domain is the token's own (`eip712Domain()`, EIP-5267), read from the chain rather than
assumed, so any EIP-2612 token the router is deployed with works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address


@dataclass(frozen=True)
class Permit:
    value: int
    deadline: int
    v: int
    r: bytes
    s: bytes


def typed_data(
    domain: dict[str, Any], owner: str, spender: str, value: int, nonce: int, deadline: int
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": domain,
        "message": {
            "owner": to_checksum_address(owner),
            "spender": to_checksum_address(spender),
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def token_domain(eip712_domain: tuple[Any, ...]) -> dict[str, Any]:
    """The EIP-712 domain from a token's `eip712Domain()` answer (fields, name, version, chain
    id, verifying contract, ...)."""
    _, name, version, chain_id, verifying, *_ = eip712_domain
    return {
        "name": name,
        "version": version,
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(verifying),
    }


def sign_permit(
    account: LocalAccount,
    domain: dict[str, Any],
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> Permit:
    """`account`'s permit for `spender` to pull `value` until `deadline` (the token's `nonces`)."""
    signable = encode_typed_data(
        full_message=typed_data(domain, account.address, spender, value, nonce, deadline)
    )
    signed = account.sign_message(signable)
    return Permit(
        value=value,
        deadline=deadline,
        v=int(signed.v),
        r=int(signed.r).to_bytes(32, "big"),
        s=int(signed.s).to_bytes(32, "big"),
    )

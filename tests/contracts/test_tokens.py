"""FLOW (dev faucet, EIP-2612 permit) and CGC (minted only by the gift strategy), and the router
with a token that answers false instead of reverting."""

from __future__ import annotations

from pathlib import Path

import boa
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from mycelix.chain.units import ONE, PaymentType
from mycelix.strategies.ids import strategy_id

from .conftest import FAUCET_LIMIT, System, load

FIXTURES = Path(__file__).parent / "fixtures"


def test_faucet_mints_up_to_its_limit(system: System, listener: str) -> None:
    with boa.env.prank(listener):
        system.flow.faucet(FAUCET_LIMIT)
        with boa.reverts("flow: above faucet limit"):
            system.flow.faucet(FAUCET_LIMIT + 1)
        with boa.reverts("flow: zero amount"):
            system.flow.faucet(0)
    assert system.flow.balanceOf(listener) == FAUCET_LIMIT
    assert system.flow.decimals() == 18
    assert system.flow.symbol() == "FLOW"


def test_production_token_has_no_faucet(owner: str, listener: str) -> None:
    with boa.env.prank(owner):
        token = load("FlowToken", 0)
    with boa.env.prank(listener), boa.reverts("flow: faucet disabled"):
        token.faucet(1)
    assert token.totalSupply() == 0


def test_permit_approves_the_router_with_a_signature(system: System) -> None:
    holder = Account.create()
    deadline = boa.env.evm.patch.timestamp + 3_600
    data = {
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
        "domain": {
            "name": "Mycelix Flow",
            "version": "1",
            "chainId": boa.env.evm.patch.chain_id,
            "verifyingContract": system.flow.address,
        },
        "message": {
            "owner": holder.address,
            "spender": system.router.address,
            "value": ONE,
            "nonce": 0,
            "deadline": deadline,
        },
    }
    signed = holder.sign_message(encode_typed_data(full_message=data))
    system.flow.permit(
        holder.address,
        system.router.address,
        ONE,
        deadline,
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
    )
    assert system.flow.allowance(holder.address, system.router.address) == ONE
    assert system.flow.nonces(holder.address) == 1


def test_only_the_gift_strategy_mints_cgc(system: System, owner: str, stranger: str) -> None:
    assert system.cgc.minter() == system.gift.address
    assert system.cgc.is_minter(system.gift.address)
    assert not system.cgc.is_minter(owner)
    supply = system.cgc.totalSupply()
    for who in (owner, stranger):
        with boa.env.prank(who), boa.reverts("cgc: caller is not the minter"):
            system.cgc.mint(who, ONE)
        assert system.cgc.balanceOf(who) == 0
    assert system.cgc.totalSupply() == supply
    # Nobody can add a minter or take a role: the minter is immutable and there is no owner.
    for role_function in ("set_minter", "owner", "transfer_ownership", "renounce_ownership"):
        assert not hasattr(system.cgc, role_function)


def test_cgc_requires_a_minter(owner: str) -> None:
    with boa.env.prank(owner), boa.reverts("cgc: minter is the zero address"):
        load("GiftCredits", "0x" + "00" * 20)


def test_the_gift_strategy_refuses_a_cgc_naming_another_minter(
    system: System, owner: str, stranger: str
) -> None:
    with boa.env.prank(owner):
        foreign = load("GiftCredits", stranger)
        with boa.reverts("gift: cgc does not name this contract its minter"):
            load("GiftEconomy", system.router.address, foreign.address)
        # Nor can a second strategy share the system's CGC.
        with boa.reverts("gift: cgc does not name this contract its minter"):
            load("GiftEconomy", system.router.address, system.cgc.address)
    assert system.cgc.minter() == system.gift.address


def test_router_notices_a_token_that_answers_false(
    owner: str, treasury: str, artist: str, listener: str
) -> None:
    token = boa.load(str(FIXTURES / "RefusingToken.vy"))
    with boa.env.prank(owner):
        router = load("EconomicStrategyRouter", token.address, treasury)
        pps = load("PayPerStream", router.address)
        router.register_strategy(strategy_id("pay-per-stream-v1"), pps.address)
    with boa.env.prank(artist):
        song = router.register_song(b"\x01" * 32, strategy_id("pay-per-stream-v1"))
    with boa.env.prank(listener), boa.reverts("router: token transfer failed"):
        router.pay(song, 10**16, PaymentType.STREAM)
    assert router.credits(artist) == 0


@pytest.mark.parametrize("limit", [0, 1, FAUCET_LIMIT])
def test_faucet_limit_is_public(owner: str, limit: int) -> None:
    with boa.env.prank(owner):
        assert load("FlowToken", limit).faucet_limit() == limit

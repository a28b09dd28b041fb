"""Listener balances in the router: deposit (plain and with an EIP-2612 permit), streams paid from
the balance exactly as direct payments are divided, and withdrawal only after the notice."""

from __future__ import annotations

import boa
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from mycelix.chain.permit import sign_permit, token_domain
from mycelix.chain.units import DAY, ONE, PaymentType

from .conftest import System

PRICE = 10**16
NOTICE = DAY


@pytest.fixture(scope="module")
def song(system: System, artist: str, producer: str) -> bytes:
    sid = system.register("balance song", "pay-per-stream-v1", artist)
    with boa.env.prank(artist):
        system.router.configure_splits(sid, [artist, producer], [9_000, 1_000], [0, 1])
    return sid


@pytest.fixture(scope="module")
def holder() -> LocalAccount:
    """A listener with a private key, for permits."""
    return Account.from_key(keccak(text="balance holder"))


def deposited(system: System, listener: str, amount: int) -> None:
    system.fund(listener, amount)
    with boa.env.prank(listener):
        system.router.deposit(amount)


def test_deposit_moves_tokens_into_the_listener_balance(system: System, listener: str) -> None:
    system.fund(listener, 5 * ONE)
    with boa.env.prank(listener):
        system.router.deposit(2 * ONE)
    (log,) = [e for e in system.router.get_logs() if type(e).__name__ == "Deposit"]
    assert (log.listener, log.amount) == (listener, 2 * ONE)
    assert system.router.balance_of(listener) == 2 * ONE
    assert system.flow.balanceOf(listener) == 3 * ONE
    assert system.flow.balanceOf(system.router.address) == 2 * ONE


@pytest.mark.parametrize(
    ("amount", "reason"),
    [(0, "router: zero amount"), (2**128, "router: balance too large")],
)
def test_bad_deposits_revert(system: System, listener: str, amount: int, reason: str) -> None:
    system.fund(listener, ONE)
    with boa.env.prank(listener), boa.reverts(reason):
        system.router.deposit(amount)
    assert system.router.balance_of(listener) == 0


def test_deposit_with_permit_needs_no_approve(system: System, holder: LocalAccount) -> None:
    with boa.env.prank(holder.address):
        system.flow.faucet(3 * ONE)
    assert system.flow.allowance(holder.address, system.router.address) == 0
    deadline = boa.env.evm.patch.timestamp + 3_600
    permit = sign_permit(
        holder,
        token_domain(system.flow.eip712Domain()),
        system.router.address,
        3 * ONE,
        system.flow.nonces(holder.address),
        deadline,
    )
    with boa.env.prank(holder.address):
        system.router.deposit_with_permit(3 * ONE, deadline, permit.v, permit.r, permit.s)
    assert system.router.balance_of(holder.address) == 3 * ONE
    assert system.flow.balanceOf(holder.address) == 0
    assert system.flow.allowance(holder.address, system.router.address) == 0


def test_a_used_permit_is_ignored_and_the_allowance_must_cover(
    system: System, holder: LocalAccount
) -> None:
    with boa.env.prank(holder.address):
        system.flow.faucet(2 * ONE)
    deadline = boa.env.evm.patch.timestamp + 3_600
    domain = token_domain(system.flow.eip712Domain())
    permit = sign_permit(holder, domain, system.router.address, ONE, 0, deadline)
    # Someone who saw the permit uses it first: the deposit still goes through on the allowance.
    system.flow.permit(
        holder.address, system.router.address, ONE, deadline, permit.v, permit.r, permit.s
    )
    with boa.env.prank(holder.address):
        system.router.deposit_with_permit(ONE, deadline, permit.v, permit.r, permit.s)
    assert system.router.balance_of(holder.address) == ONE
    # Reused again, with the allowance spent: the pull fails and nothing changes.
    with boa.env.prank(holder.address), boa.reverts():
        system.router.deposit_with_permit(ONE, deadline, permit.v, permit.r, permit.s)
    assert system.router.balance_of(holder.address) == ONE


def test_stream_from_balance_divides_as_a_direct_payment(
    system: System, artist: str, producer: str, treasury: str, listener: str, song: bytes
) -> None:
    direct, from_balance = boa.env.generate_address("direct"), listener
    system.fund(direct, ONE)
    deposited(system, from_balance, ONE)
    router_tokens = system.flow.balanceOf(system.router.address)
    with boa.env.prank(direct):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    after_direct = [system.router.credits(a) for a in (artist, producer, treasury)]
    with boa.env.prank(from_balance):
        charged = system.router.pay_from_balance(song, PRICE, PaymentType.STREAM)
    (log,) = [e for e in system.router.get_logs() if type(e).__name__ == "Payment"]
    after_balance = [system.router.credits(a) for a in (artist, producer, treasury)]
    assert charged == PRICE
    assert [b - a for a, b in zip(after_direct, after_balance, strict=True)] == after_direct
    assert (log.payer, log.amount, log.fee) == (from_balance, PRICE, PRICE // 100)
    assert system.router.balance_of(from_balance) == ONE - PRICE
    # Only the direct payment moved tokens into the router.
    assert system.flow.balanceOf(system.router.address) == router_tokens + PRICE


def test_stream_from_a_short_balance_reverts_and_changes_nothing(
    system: System, artist: str, listener: str, song: bytes
) -> None:
    deposited(system, listener, PRICE - 1)
    with boa.env.prank(listener), boa.reverts("router: balance too low"):
        system.router.pay_from_balance(song, PRICE, PaymentType.STREAM)
    assert system.router.balance_of(listener) == PRICE - 1
    assert system.router.credits(artist) == 0


def test_paused_router_refuses_balance_payments(
    system: System, owner: str, listener: str, song: bytes
) -> None:
    deposited(system, listener, ONE)
    with boa.env.prank(owner):
        system.router.pause()
    with boa.env.prank(listener), boa.reverts("router: paused"):
        system.router.pay_from_balance(song, PRICE, PaymentType.STREAM)


def test_withdrawal_waits_for_the_notice(system: System, listener: str) -> None:
    deposited(system, listener, 2 * ONE)
    with boa.env.prank(listener), boa.reverts("router: no withdrawal requested"):
        system.router.withdraw_balance(ONE)
    with boa.env.prank(listener):
        system.router.request_withdrawal()
    (log,) = system.router.get_logs()
    unlocks = boa.env.evm.patch.timestamp + NOTICE
    assert (log.listener, log.unlocks_at) == (listener, unlocks)
    assert system.router.withdrawal_unlocks_at(listener) == unlocks
    boa.env.time_travel(seconds=NOTICE - 1)
    with boa.env.prank(listener), boa.reverts("router: withdrawal notice running"):
        system.router.withdraw_balance(ONE)
    boa.env.time_travel(seconds=1)
    with boa.env.prank(listener):
        system.router.withdraw_balance(ONE)
    assert system.router.balance_of(listener) == ONE
    assert system.flow.balanceOf(listener) == ONE
    assert system.router.withdrawal_unlocks_at(listener) == 0
    # The notice is used up: the rest needs notice again.
    with boa.env.prank(listener), boa.reverts("router: no withdrawal requested"):
        system.router.withdraw_balance(ONE)


def test_withdrawal_works_while_paused(system: System, owner: str, listener: str) -> None:
    deposited(system, listener, ONE)
    with boa.env.prank(listener):
        system.router.request_withdrawal()
    with boa.env.prank(owner):
        system.router.pause()
    boa.env.time_travel(seconds=NOTICE)
    with boa.env.prank(listener):
        system.router.withdraw_balance(ONE)
    assert system.flow.balanceOf(listener) == ONE


@pytest.mark.parametrize(
    ("amount", "reason"), [(0, "router: zero amount"), (ONE + 1, "router: balance too low")]
)
def test_bad_withdrawals_revert(system: System, listener: str, amount: int, reason: str) -> None:
    deposited(system, listener, ONE)
    with boa.env.prank(listener):
        system.router.request_withdrawal()
    boa.env.time_travel(seconds=NOTICE)
    with boa.env.prank(listener), boa.reverts(reason):
        system.router.withdraw_balance(amount)
    assert system.router.balance_of(listener) == ONE


def test_notice_needs_a_balance(system: System, stranger: str) -> None:
    with boa.env.prank(stranger), boa.reverts("router: no balance"):
        system.router.request_withdrawal()


def test_withdrawing_credits_leaves_balances_alone(
    system: System, artist: str, producer: str, treasury: str, listener: str, song: bytes
) -> None:
    deposited(system, listener, ONE)
    with boa.env.prank(listener):
        system.router.pay_from_balance(song, PRICE, PaymentType.STREAM)
    credit = system.router.credits(artist)
    with boa.env.prank(artist):
        system.router.withdraw()
    assert system.flow.balanceOf(artist) == credit
    assert system.router.balance_of(listener) == ONE - PRICE
    assert system.flow.balanceOf(system.router.address) == (
        ONE - PRICE + system.router.credits(producer) + system.router.credits(treasury)
    )

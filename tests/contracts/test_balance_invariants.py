"""Listener balances and vouchers under random sequences: deposits, direct and balance-paid
streams, signed and forged vouchers settled in shuffled batches with duplicates, withdrawal
notices, time, and credit withdrawals.

After every step: the router's token balance equals unwithdrawn credits plus listener balances;
each listener's balance is what the model says (deposits minus charges minus withdrawals); no
voucher ever settles twice, and only vouchers signed by their listener settle. A reverted call
changes nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, ClassVar

import boa
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mycelix.chain.units import DAY, ONE, PaymentType
from mycelix.chain.vouchers import Voucher, sign

from .conftest import System

PRICE = 10**16
profile = settings(
    max_examples=int(os.environ.get("BALANCE_EXAMPLES", "50")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

who = st.integers(0, 2)
amounts = st.sampled_from([0, 1, PRICE - 1, PRICE, 3 * PRICE, ONE])


class Balances(RuleBasedStateMachine):
    system: System
    listeners: list[LocalAccount]
    payees: list[str]
    songs: list[bytes]
    chain_id: int
    seen: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.balance = [0, 0, 0]
        self.settled: set[tuple[str, int]] = set()
        self.pool: list[tuple[Any, ...]] = []
        self.genuine: set[tuple[str, int, bytes, int, int]] = set()

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    @property
    def router(self) -> Any:
        return self.system.router

    def money(self) -> tuple[int, ...]:
        s = self.system
        return (
            s.flow.balanceOf(s.router.address),
            *(s.router.credits(a) for a in self.payees),
            *(s.router.balance_of(x.address) for x in self.listeners),
        )

    def attempt(self, sender: str, fn: Any, *args: Any) -> tuple[bool, Any]:
        before = self.money()
        try:
            with boa.env.prank(sender):
                return True, fn(*args)
        except boa.BoaError:
            assert self.money() == before, "a reverted call changed money"
            return False, None

    # ---------------------------------------------------------------- rules

    @initialize()
    def funded(self) -> None:
        """Listeners start with a balance, and the pool with one good voucher that outlives
        any time travel, so every run reaches settlements and withdrawals (the check at the
        end asserts they happened)."""
        for i in range(3):
            self.deposit(i, ONE)
        listener = self.listeners[0]
        expiry = boa.env.evm.patch.timestamp + 365 * DAY
        v = Voucher(listener.address, self.songs[0], PRICE, 0, expiry)
        self.pool.append(sign(listener, v, self.chain_id, self.router.address).as_tuple())
        self.genuine.add((listener.address, 0, self.songs[0], PRICE, expiry))

    @rule(i=who, amount=amounts)
    def deposit(self, i: int, amount: int) -> None:
        ok, _ = self.attempt(self.listeners[i].address, self.router.deposit, amount)
        assert ok == (amount != 0)
        if ok:
            self.balance[i] += amount

    @rule(i=who, song=st.integers(0, 1), offer=amounts)
    def pay_from_balance(self, i: int, song: int, offer: int) -> None:
        before = self.router.balance_of(self.listeners[i].address)
        ok, charged = self.attempt(
            self.listeners[i].address,
            self.router.pay_from_balance,
            self.songs[song],
            offer,
            PaymentType.STREAM,
        )
        if ok:
            assert charged <= offer
            self.balance[i] -= charged
            self.seen["paid from balance"] += 1
        elif song == 0 and offer >= PRICE:
            assert before < PRICE, "a covered balance stream was refused"

    @rule(song=st.integers(0, 1))
    def pay_direct(self, song: int) -> None:
        payer = self.payees[-1]
        self.attempt(payer, self.router.pay, self.songs[song], PRICE, PaymentType.STREAM)

    @rule(
        i=who,
        song=st.integers(0, 1),
        amount=st.sampled_from([PRICE, PRICE, 3 * PRICE, 0, PRICE - 1, 1_000 * ONE]),
        nonce=st.integers(0, 90),
        life=st.integers(-1, 5),
    )
    def sign(self, i: int, song: int, amount: int, nonce: int, life: int) -> None:
        now = boa.env.evm.patch.timestamp
        listener = self.listeners[i]
        v = Voucher(listener.address, self.songs[song], amount, nonce, now + life * 600)
        self.pool.append(sign(listener, v, self.chain_id, self.router.address).as_tuple())
        self.genuine.add((listener.address, nonce, self.songs[song], amount, v.expiry))

    @rule(i=who, forger=who, nonce=st.integers(0, 90))
    def forge(self, i: int, forger: int, nonce: int) -> None:
        if i == forger:
            return
        claimed = self.listeners[i].address
        v = Voucher(claimed, self.songs[0], PRICE, nonce, 2**40)
        forged = sign(self.listeners[forger], v, self.chain_id, self.router.address)
        self.pool.append(forged.as_tuple())

    @rule(picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
    def settle(self, picks: list[int]) -> None:
        if not self.pool:
            return
        batch = [self.pool[p % len(self.pool)] for p in picks]
        ok, total = self.attempt(self.payees[-1], self.router.settle_vouchers, batch)
        assert ok, "a settlement batch reverted"
        logs = self.router.get_logs()
        settled = [e for e in logs if type(e).__name__ == "VoucherSettled"]
        skipped = [e for e in logs if type(e).__name__ == "VoucherSkipped"]
        assert len(settled) + len(skipped) == len(batch)
        assert sum(e.amount for e in settled) == total
        index = {x.address: n for n, x in enumerate(self.listeners)}
        for e in settled:
            key = (e.listener, e.nonce)
            assert key not in self.settled, f"voucher {key} settled twice"
            self.settled.add(key)
            assert any(g[0] == e.listener and g[1] == e.nonce for g in self.genuine)
            self.balance[index[e.listener]] -= e.amount
        self.seen["settled"] += len(settled)
        self.seen["skipped"] += len(skipped)

    @rule(i=who)
    def request_withdrawal(self, i: int) -> None:
        self.attempt(self.listeners[i].address, self.router.request_withdrawal)

    @rule(hours=st.sampled_from([1, 24, 48]))
    def advance(self, hours: int) -> None:
        boa.env.time_travel(seconds=hours * 3_600)

    @rule(i=who, amount=st.one_of(st.none(), amounts))
    def withdraw_balance(self, i: int, amount: int | None) -> None:
        """`None`: the whole balance, as a listener leaving would."""
        listener = self.listeners[i].address
        if amount is None:
            amount = self.balance[i]
        unlock = self.router.withdrawal_unlocks_at(listener)
        ok, _ = self.attempt(listener, self.router.withdraw_balance, amount)
        ready = unlock != 0 and boa.env.evm.patch.timestamp >= unlock
        assert ok == (ready and 0 < amount <= self.balance[i])
        if ok:
            self.balance[i] -= amount
            self.seen["withdrawn"] += 1

    @rule(i=who, part=st.sampled_from([1, 2]))
    def leave(self, i: int, part: int) -> None:
        """Give notice, wait it out, take out the whole balance or half of it."""
        listener = self.listeners[i].address
        if self.attempt(listener, self.router.request_withdrawal)[0]:
            boa.env.time_travel(seconds=DAY)
            self.withdraw_balance(i, self.balance[i] // part)

    @rule(p=st.integers(0, 4))
    def withdraw_credits(self, p: int) -> None:
        self.attempt(self.payees[p], self.router.withdraw)

    # ----------------------------------------------------------- invariants

    @invariant()
    def router_holds_credits_plus_balances(self) -> None:
        s = self.system
        assert s.flow.balanceOf(s.router.address) == sum(
            s.router.credits(a) for a in self.payees
        ) + sum(s.router.balance_of(x.address) for x in self.listeners)

    @invariant()
    def balances_match_the_model(self) -> None:
        assert [self.router.balance_of(x.address) for x in self.listeners] == self.balance


def test_balance_invariants(
    system: System, owner: str, treasury: str, artist: str, producer: str, engineer: str
) -> None:
    listeners = [Account.from_key(keccak(text=f"invariant listener {i}")) for i in range(3)]
    direct = boa.env.generate_address("direct payer")
    for x in [*(a.address for a in listeners), direct]:
        system.fund(x, 100 * ONE)
    paid = system.register("invariant song", "pay-per-stream-v1", artist)
    with boa.env.prank(artist):
        system.router.configure_splits(
            paid, [artist, producer, engineer], [7_000, 2_000, 1_000], [0, 1, 2]
        )
    free = system.register("invariant gift song", "gift-economy-v1", artist)
    Balances.system = system
    Balances.listeners = listeners
    Balances.payees = [artist, producer, engineer, treasury, direct]
    Balances.songs = [paid, free]
    Balances.chain_id = int(boa.env.evm.patch.chain_id)
    Balances.TestCase.settings = profile
    Balances.seen.clear()
    Balances.TestCase().runTest()
    assert int(system.router.withdrawal_notice()) == DAY
    # The run exercised what it checks, not only refusals.
    for what in ("settled", "skipped", "withdrawn", "paid from balance"):
        assert Balances.seen[what] > 0, f"no {what} in the run"


pytestmark = pytest.mark.slow

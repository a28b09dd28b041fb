"""Money and access invariants over random sequences of operations across all four strategies.

A hypothesis state machine registers songs, configures splits and strategies, streams, tips,
joins patronage, buys auction slots, withdraws, moves time and changes the fee, with role-named
actors including a stranger who keeps trying to configure what is not theirs. After every step:

- FLOW supply is conserved: every token minted sits with a known account or the router;
- the router's balance equals the sum of unwithdrawn credits;
- every payment's distribution sums to what was charged (credits + fee) and the payer lost
  exactly the charge; a reverted call changes nothing;
- CGC is only ever minted to listeners, by the gift strategy;
- nobody moves another's funds or configures another artist's song.

Examples: 300 in CI (the `ci` profile, the default); `HYPOTHESIS_PROFILE=long` runs 5,000.
"""

from __future__ import annotations

import os
from typing import Any

import boa
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from mycelix.chain.units import DAY, HOUR, ONE, PaymentType
from mycelix.strategies.ids import strategy_id

from .conftest import System, salt

settings.register_profile(
    "ci",
    max_examples=300,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=5_000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

STRATEGIES = ["pay-per-stream-v1", "gift-economy-v1", "patronage-v1", "dutch-auction-v1"]
FUNDING = 10_000 * ONE

amounts = st.one_of(
    st.integers(0, 3 * 10**16),
    st.integers(0, 200 * ONE),
    st.sampled_from([0, 1, 99, 100, 10**16, ONE]),
)


class Economy(RuleBasedStateMachine):
    """One deployed system shared by all examples; each example runs inside a boa anchor."""

    system: System
    artists: list[str]
    listeners: list[str]
    collaborators: list[str]
    stranger: str

    songs = Bundle("songs")

    def __init__(self) -> None:
        super().__init__()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.minted = 0
        self.song_artist: dict[bytes, str] = {}
        self.song_strategy: dict[bytes, str] = {}
        self.counter = 0

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    @property
    def everyone(self) -> list[str]:
        s = self.system
        return [
            *self.artists,
            *self.listeners,
            *self.collaborators,
            self.stranger,
            s.treasury,
            s.owner,
        ]

    def snapshot(self) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
        s = self.system
        return (
            tuple(s.router.credits(a) for a in self.everyone),
            tuple(s.flow.balanceOf(a) for a in self.everyone),
            s.flow.balanceOf(s.router.address),
            s.cgc.totalSupply(),
        )

    def attempt(self, sender: str, fn: Any, *args: Any) -> tuple[bool, Any]:
        """Call `fn` as `sender`; on a revert, check that nothing changed."""
        before = self.snapshot()
        try:
            with boa.env.prank(sender):
                return True, fn(*args)
        except boa.BoaError:
            assert self.snapshot() == before, "a reverted call changed state"
            return False, None

    def pay(self, payer: str, song: bytes, amount: int, ptype: int, option: int = 0) -> None:
        s = self.system
        credits_before = sum(s.router.credits(a) for a in self.everyone)
        treasury_before = s.router.credits(s.treasury)
        balance_before = s.flow.balanceOf(payer)
        fee_bps = s.router.fee_bps()
        ok, charged = self.attempt(payer, s.router.pay, song, amount, ptype, option)
        if not ok:
            return
        assert charged <= amount
        assert s.flow.balanceOf(payer) == balance_before - charged
        assert sum(s.router.credits(a) for a in self.everyone) == credits_before + charged
        assert s.router.credits(s.treasury) - treasury_before >= charged * fee_bps // 10_000

    # -------------------------------------------------------------- rules

    @initialize()
    def fund(self) -> None:
        for account in self.listeners:
            self.system.fund(account, FUNDING)
            self.minted += FUNDING

    @rule(target=songs, artist=st.integers(0, 1), strategy=st.sampled_from(STRATEGIES))
    def register(self, artist: int, strategy: str) -> bytes:
        self.counter += 1
        who = self.artists[artist]
        ok, sid = self.attempt(
            who,
            self.system.router.register_song,
            salt(f"song {self.counter} {os.urandom(4).hex()}"),
            strategy_id(strategy),
        )
        assert ok
        self.song_artist[sid] = who
        self.song_strategy[sid] = strategy
        return sid

    @rule(song=songs)
    def stranger_cannot_squat_or_configure(self, song: bytes) -> None:
        s = self.system
        stranger = self.stranger
        with boa.env.prank(stranger), boa.reverts("router: caller is not the artist"):
            s.router.configure_splits(song, [stranger], [10_000], [0])
        with boa.env.prank(stranger), boa.reverts("router: caller is not the artist"):
            s.router.offer_song(song, stranger)
        with boa.env.prank(stranger), boa.reverts("pps: caller is not the artist"):
            s.pps.set_price(song, 1)
        with boa.env.prank(stranger), boa.reverts("gift: caller is not the artist"):
            s.gift.configure(song, 0, 0, 0, 10_000)
        with boa.env.prank(stranger), boa.reverts("auction: caller is not the artist"):
            s.auction.create_auction(song, 2, 1, 0, DAY, 1)
        with boa.env.prank(stranger), boa.reverts("pps: caller is not the router"):
            s.pps.charge(song, stranger, ONE, PaymentType.TIP, 0)

    @rule(
        song=songs,
        who=st.integers(0, 3),
        shares=st.lists(st.integers(1, 5_000), min_size=1, max_size=4),
    )
    def configure_splits(self, song: bytes, who: int, shares: list[int]) -> None:
        total = sum(shares)
        bps = [s * 10_000 // total for s in shares]
        bps[0] += 10_000 - sum(bps)
        if any(b == 0 for b in bps):
            return
        sender = self.song_artist[song] if who < 3 else self.stranger
        recipients = [self.song_artist[song], *self.collaborators][: len(bps)]
        ok, _ = self.attempt(
            sender,
            self.system.router.configure_splits,
            song,
            recipients,
            bps,
            list(range(len(bps))),
        )
        if sender == self.stranger:
            assert not ok

    @rule(song=songs, price=st.integers(1, 5 * ONE))
    def set_price(self, song: bytes, price: int) -> None:
        self.attempt(self.song_artist[song], self.system.pps.set_price, song, price)

    @rule(
        song=songs,
        per_listen=st.integers(0, 5 * ONE),
        bonus=st.integers(0, 20 * ONE),
        threshold=st.integers(0, 3),
        multiplier=st.integers(10_000, 30_000),
    )
    def configure_gift(
        self, song: bytes, per_listen: int, bonus: int, threshold: int, multiplier: int
    ) -> None:
        self.attempt(
            self.song_artist[song],
            self.system.gift.configure,
            song,
            per_listen,
            bonus,
            threshold,
            multiplier,
        )

    @rule(artist=st.integers(0, 1), fees=st.lists(st.integers(1, 50 * ONE), min_size=1, max_size=3))
    def configure_patronage(self, artist: int, fees: list[int]) -> None:
        names = [f"tier {i}" for i in range(len(fees))]
        exclusive = [i % 2 == 1 for i in range(len(fees))]
        self.attempt(
            self.artists[artist],
            self.system.patronage.configure,
            names,
            fees,
            exclusive,
            [0, 500, 1_000, 2_000],
            0,
        )

    @rule(song=songs, flag=st.booleans())
    def set_patron_only(self, song: bytes, flag: bool) -> None:
        self.attempt(self.song_artist[song], self.system.patronage.set_patron_only, song, flag)

    @rule(
        song=songs,
        start=st.integers(2, 100 * ONE),
        floor_share=st.integers(0, 99),
        duration=st.integers(1, 10 * DAY),
        slots=st.integers(1, 4),
    )
    def create_auction(
        self, song: bytes, start: int, floor_share: int, duration: int, slots: int
    ) -> None:
        floor = start * floor_share // 100
        self.attempt(
            self.song_artist[song],
            self.system.auction.create_auction,
            song,
            start,
            floor,
            0,
            duration,
            slots,
        )

    @rule(listener=st.integers(0, 2), song=songs, amount=amounts)
    def stream(self, listener: int, song: bytes, amount: int) -> None:
        self.pay(self.listeners[listener], song, amount, PaymentType.STREAM)

    @rule(listener=st.integers(0, 2), song=songs, amount=amounts)
    def tip(self, listener: int, song: bytes, amount: int) -> None:
        self.pay(self.listeners[listener], song, amount, PaymentType.TIP)

    @rule(listener=st.integers(0, 2), song=songs, amount=amounts, tier=st.integers(0, 3))
    def patronage(self, listener: int, song: bytes, amount: int, tier: int) -> None:
        self.pay(self.listeners[listener], song, amount, PaymentType.PATRONAGE, tier)

    @rule(listener=st.integers(0, 2), song=songs, amount=amounts)
    def buy_slot(self, listener: int, song: bytes, amount: int) -> None:
        number = self.system.auction.auction_number(song)
        self.pay(self.listeners[listener], song, amount, PaymentType.ACCESS, number)

    @rule(
        listener=st.integers(0, 2), songs_=st.lists(songs, min_size=1, max_size=4), amount=amounts
    )
    def batch(self, listener: int, songs_: list[bytes], amount: int) -> None:
        s = self.system
        payer = self.listeners[listener]
        credits_before = sum(s.router.credits(a) for a in self.everyone)
        balance_before = s.flow.balanceOf(payer)
        ok, total = self.attempt(
            payer, s.router.pay_batch, [(x, amount, PaymentType.STREAM, 0) for x in songs_]
        )
        if ok:
            assert s.flow.balanceOf(payer) == balance_before - total
            assert sum(s.router.credits(a) for a in self.everyone) == credits_before + total

    @rule(who=st.integers(0, 9))
    def withdraw(self, who: int) -> None:
        s = self.system
        account = self.everyone[who % len(self.everyone)]
        owed = s.router.credits(account)
        others = [(a, s.router.credits(a)) for a in self.everyone if a != account]
        balance = s.flow.balanceOf(account)
        ok, _ = self.attempt(account, s.router.withdraw)
        assert ok == (owed > 0)
        if ok:
            assert s.flow.balanceOf(account) == balance + owed
            assert s.router.credits(account) == 0
            assert all(s.router.credits(a) == c for a, c in others), (
                "a withdrawal moved another's credits"
            )

    @rule(seconds=st.sampled_from([1, 59, HOUR - 1, HOUR, DAY, 7 * DAY, 30 * DAY, 90 * DAY]))
    def advance(self, seconds: int) -> None:
        boa.env.time_travel(seconds=seconds)

    @rule(fee=st.integers(0, 600))
    def set_fee(self, fee: int) -> None:
        ok, _ = self.attempt(self.system.owner, self.system.router.set_fee, fee)
        assert ok == (fee <= 500)

    # --------------------------------------------------------- invariants

    @invariant()
    def supply_is_conserved(self) -> None:
        s = self.system
        held = sum(s.flow.balanceOf(a) for a in self.everyone) + s.flow.balanceOf(s.router.address)
        assert held == s.flow.totalSupply() == self.minted

    @invariant()
    def router_balance_equals_credits(self) -> None:
        s = self.system
        assert s.flow.balanceOf(s.router.address) == sum(s.router.credits(a) for a in self.everyone)

    @invariant()
    def gift_credits_go_to_listeners_only(self) -> None:
        s = self.system
        assert s.cgc.totalSupply() == sum(s.cgc.balanceOf(a) for a in self.listeners)

    @invariant()
    def auction_access_is_slot_ownership(self) -> None:
        s = self.system
        for song, strategy in self.song_strategy.items():
            if strategy == "dutch-auction-v1":
                for listener in self.listeners:
                    assert s.router.is_authorized(song, listener) == s.auction.holds_slot(
                        song, listener
                    )
            elif strategy == "pay-per-stream-v1":
                assert not s.router.is_authorized(song, self.listeners[0])


def test_economy_invariants(
    system: System, artist: str, producer: str, engineer: str, listeners, stranger
) -> None:
    Economy.system = system
    Economy.artists = [artist, producer]
    Economy.listeners = listeners[:3]
    Economy.collaborators = [engineer, listeners[10], listeners[11]]
    Economy.stranger = stranger
    profile = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    Economy.TestCase.settings = profile
    Economy.TestCase().runTest()


pytestmark = pytest.mark.slow

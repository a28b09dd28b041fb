"""Pay what you want: a play is charged exactly what the listener offers, at or above the
artist's minimum, and split exactly; a zero minimum allows free plays recorded as payments
of 0."""

from __future__ import annotations

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelix.chain.units import ONE, PaymentType
from mycelix.strategies.pay_what_you_want import strategy as pwyw

from .conftest import System

PWYW = "pay-what-you-want-v1"
STREAM, TIP = PaymentType.STREAM, PaymentType.TIP


@pytest.fixture(scope="module")
def song(system: System, artist: str, producer: str, engineer: str) -> bytes:
    sid = system.register("pwyw song", PWYW, artist)
    with boa.env.prank(artist):
        system.router.configure_splits(
            sid, [artist, producer, engineer], [5_000, 3_000, 2_000], [0, 2, 4]
        )
    return sid


def _logs(contract: object, name: str) -> list:
    return [e for e in contract.get_logs() if type(e).__name__ == name]  # type: ignore[attr-defined]


def play(system: System, song: bytes, listener: str, amount: int) -> int:
    with boa.env.prank(listener):
        return system.router.pay(song, amount, STREAM)


def test_the_python_side_matches_the_contract(system: System) -> None:
    assert system.pwyw.DEFAULT_SUGGESTED() == pwyw.DEFAULT_SUGGESTED
    assert system.pwyw.MAX_AMOUNT() == pwyw.MAX_AMOUNT
    fields = {c.name: c for c in pwyw.STRATEGY.catalogue.config}
    assert fields["suggested"].default == str(system.pwyw.DEFAULT_SUGGESTED())
    assert fields["minimum"].maximum == str(system.pwyw.MAX_AMOUNT())


def test_defaults_minimum_zero_and_a_suggestion(system: System, song: bytes, listener: str) -> None:
    assert system.pwyw.minimum(song) == 0
    assert system.pwyw.suggested(song) == pwyw.DEFAULT_SUGGESTED
    assert system.router.quote(song, listener, STREAM) == 0


def test_zero_minimum_allows_a_free_play_recorded_as_such(
    system: System, song: bytes, artist: str, stranger: str
) -> None:
    assert system.flow.balanceOf(stranger) == 0
    with boa.env.prank(stranger):
        assert system.router.pay(song, 0, STREAM) == 0
        (payment,) = _logs(system.router, "Payment")
    assert (payment.payer, payment.amount, payment.fee, payment.payment_type) == (
        stranger,
        0,
        0,
        STREAM,
    )
    assert system.router.credits(artist) == 0


def test_below_the_minimum_reverts_and_moves_nothing(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    with boa.env.prank(artist):
        system.pwyw.configure(song, ONE, 2 * ONE)
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    for amount in (0, ONE - 1):
        with boa.env.prank(listener), boa.reverts("pwyw: payment below minimum"):
            system.router.pay(song, amount, STREAM)
    assert system.flow.balanceOf(listener) == before
    assert system.router.quote(song, listener, STREAM) == ONE
    assert play(system, song, listener, ONE) == ONE  # exactly the minimum is accepted


@settings(max_examples=25, deadline=None)
@given(amount=st.integers(min_value=ONE, max_value=10**6 * ONE))
def test_any_amount_at_or_above_the_minimum_is_charged_and_split_exactly(
    system: System,
    song: bytes,
    artist: str,
    producer: str,
    engineer: str,
    listener: str,
    amount: int,
) -> None:
    with boa.env.prank(artist):
        system.pwyw.configure(song, ONE, ONE)
    system.fund(listener, amount)
    before = [system.router.credits(a) for a in (artist, producer, engineer, system.treasury)]
    assert play(system, song, listener, amount) == amount
    fee = amount * system.router.fee_bps() // 10_000
    net = amount - fee
    producer_share, engineer_share = net * 3_000 // 10_000, net * 2_000 // 10_000
    after = [system.router.credits(a) for a in (artist, producer, engineer, system.treasury)]
    gained = [a - b for a, b in zip(after, before, strict=True)]
    assert gained == [net - producer_share - engineer_share, producer_share, engineer_share, fee]
    assert sum(gained) == amount


def test_the_artist_sets_terms_within_bounds(
    system: System, song: bytes, artist: str, stranger: str
) -> None:
    p = system.pwyw
    with boa.env.prank(stranger), boa.reverts("pwyw: caller is not the artist"):
        p.configure(song, 0, ONE)
    with boa.env.prank(artist):
        p.configure(song, p.MAX_AMOUNT(), p.MAX_AMOUNT())
        (log,) = _logs(p, "PayWhatYouWantConfigured")
        assert (log.minimum, log.suggested) == (p.MAX_AMOUNT(), p.MAX_AMOUNT())
        assert (p.minimum(song), p.suggested(song)) == (p.MAX_AMOUNT(), p.MAX_AMOUNT())
        p.configure(song, 0, 1)
        for args, reason in (
            ((0, 0), "pwyw: zero suggested amount"),
            ((2, 1), "pwyw: minimum above suggested"),
            ((0, p.MAX_AMOUNT() + 1), "pwyw: amount above maximum"),
        ):
            with boa.reverts(reason):
                p.configure(song, *args)
    assert (p.minimum(song), p.suggested(song)) == (0, 1)


@pytest.mark.parametrize(
    ("ptype", "amount", "reason"),
    [
        (TIP, 0, "pwyw: zero tip"),
        (PaymentType.DOWNLOAD, ONE, "pwyw: unsupported payment type"),
        (PaymentType.PATRONAGE, ONE, "pwyw: unsupported payment type"),
        (PaymentType.ACCESS, ONE, "pwyw: unsupported payment type"),
    ],
)
def test_unacceptable_payments_revert(
    system: System, listener: str, song: bytes, ptype: int, amount: int, reason: str
) -> None:
    system.fund(listener)
    with boa.env.prank(listener), boa.reverts(reason):
        system.router.pay(song, amount, ptype)


def test_only_the_router_may_charge(system: System, stranger: str, song: bytes) -> None:
    with boa.env.prank(stranger), boa.reverts("pwyw: caller is not the router"):
        system.pwyw.charge(song, stranger, ONE, STREAM, 0)


def test_every_play_goes_through_the_router(system: System, song: bytes, listener: str) -> None:
    assert not system.router.is_authorized(song, listener)
    assert not system.pwyw.holds_access(song, listener)

"""Patronage: per-artist tiers, 30-day periods with a 7-day grace, loyalty discounts on renewal,
cancellation with a minimum commitment and patron-only songs, every payment through the router."""

from __future__ import annotations

from dataclasses import dataclass, replace

import boa
import pytest
from boa.contracts.base_evm_contract import BoaError
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mycelix.chain.units import BPS, DAY, ONE, PaymentType

from .conftest import System, build_system, load

PAT = "patronage-v1"
PERIOD = 30 * DAY
GRACE = 7 * DAY
SUPPORTER, INNER = 0, 1
FEES = [10 * ONE, 25 * ONE]
EXCLUSIVE = [False, True]
NAMES = ["Supporter", "Inner circle"]
DEFAULT_DISCOUNTS = [0, 500, 1_000, 2_000]
GAS_JOIN_TARGET = 110_000
GAS_RENEW_TARGET = 90_000


# -------------------------------------------------------------- helpers


def now() -> int:
    return boa.env.evm.patch.timestamp


def travel_to(t: int) -> None:
    assert t >= now(), "tests only move time forward"
    boa.env.time_travel(seconds=t - now())


def configure(
    system: System,
    who: str,
    names: list[str] = NAMES,
    fees: list[int] = FEES,
    exclusive: list[bool] = EXCLUSIVE,
    discounts: list[int] | None = None,
    min_commitment: int = 0,
) -> None:
    with boa.env.prank(who):
        system.patronage.configure(names, fees, exclusive, discounts or [], min_commitment)


def pay(
    system: System,
    who: str,
    song: bytes,
    amount: int,
    option: int = SUPPORTER,
    ptype: int = PaymentType.PATRONAGE,
) -> int:
    with boa.env.prank(who):
        charged = system.router.pay(song, amount, ptype, option)
    _last_logs[:] = system.router.get_logs()
    return charged


def state(system: System, artist: str, who: str):
    return system.patronage.patron(artist, who)


# Logs of the last successful `pay` (router and strategy events), kept because any later call
# through the same contract object, views included, replaces what `get_logs` returns.
_last_logs: list = []


def events(name: str) -> list:
    """The events called `name` emitted by the last successful `pay`."""
    return [log for log in _last_logs if type(log).__name__ == name]


def discounted(fee: int, discount_bps: int) -> int:
    return fee - fee * discount_bps // BPS


def net(amount: int) -> int:
    """What the artist is credited for a charge at the default 1 % protocol fee."""
    return amount - amount // 100


def tx_gas(system: System, who: str, song: bytes, amount: int, ptype: int, option: int) -> int:
    """Gas of a whole `router.pay` transaction from cold storage: execution plus the 21,000
    intrinsic gas and the calldata cost (16 per non-zero byte, 4 per zero byte). Only for a
    private `boa.Env`: resetting the access counters drops the journal that the snapshots of the
    titanoboa plugin rely on."""
    calldata = system.router.pay.prepare_calldata(song, amount, ptype, option)
    intrinsic = 21_000 + sum(16 if b else 4 for b in calldata)
    boa.env.reset_gas_used()
    with boa.env.prank(who):
        system.router.pay(song, amount, ptype, option)
    return boa.env.get_gas_used() + intrinsic


def renew_through(system: System, who: str, song: bytes, artist: str, until: int) -> None:
    """Renew at each paid-until (the earliest moment allowed) while it is at most `until`."""
    while (due := state(system, artist, who).paid_until) <= until:
        travel_to(due)
        pay(system, who, song, FEES[SUPPORTER])


@pytest.fixture(scope="module")
def patron() -> str:
    return boa.env.generate_address("patron")


@pytest.fixture(scope="module")
def second_patron() -> str:
    return boa.env.generate_address("second patron")


@pytest.fixture
def song(system: System, artist: str, patron: str, second_patron: str) -> bytes:
    """A public song of an artist with two tiers (Supporter 10, Inner circle 25 with exclusive
    content), the default discounts and no commitment; both patrons hold FLOW."""
    sid = system.register("patronage song", PAT, artist)
    configure(system, artist)
    system.fund(patron)
    system.fund(second_patron)
    return sid


@pytest.fixture
def exclusive_song(system: System, artist: str, song: bytes) -> bytes:
    """A patron-only song of the same artist."""
    sid = system.register("patron-only song", PAT, artist)
    with boa.env.prank(artist):
        system.patronage.set_patron_only(sid, True)
    return sid


# ----------------------------------------------------------- deployment


def test_constructor_rejects_a_router_that_is_not_a_contract(stranger: str) -> None:
    with boa.reverts("patronage: router is not a contract"):
        load("Patronage", stranger)


def test_constants(system: System) -> None:
    p = system.patronage
    assert p.router() == system.router.address
    assert (p.PERIOD(), p.GRACE()) == (2_592_000, 604_800)
    assert (p.LEVEL_2_AFTER(), p.LEVEL_3_AFTER(), p.LEVEL_4_AFTER()) == (
        90 * DAY,
        180 * DAY,
        365 * DAY,
    )
    assert (p.MAX_TIERS(), p.MAX_DISCOUNT_BPS(), p.MAX_COMMITMENT()) == (8, 5_000, 365 * DAY)
    assert [p.DEFAULT_DISCOUNTS(i) for i in range(4)] == DEFAULT_DISCOUNTS


def test_charge_is_router_only(system: System, song: bytes, patron: str) -> None:
    with boa.env.prank(patron), boa.reverts("patronage: caller is not the router"):
        system.patronage.charge(song, patron, FEES[0], PaymentType.PATRONAGE, 0)


# -------------------------------------------------------- configuration


def test_configure_patronage(system: System, artist: str) -> None:
    """testConfigurePatronage: the artist's tiers, discounts and commitment are readable."""
    configure(system, artist, discounts=[0, 500, 1_000, 2_000], min_commitment=90 * DAY)
    (log,) = system.patronage.get_logs()
    assert type(log).__name__ == "PatronageConfigured"
    tiers = system.patronage.tiers(artist)
    assert [(t.name, t.fee, t.exclusive) for t in tiers] == list(
        zip(NAMES, FEES, EXCLUSIVE, strict=True)
    )
    assert list(system.patronage.discounts(artist)) == DEFAULT_DISCOUNTS
    assert system.patronage.min_commitment(artist) == 90 * DAY
    assert log.artist == artist
    assert list(log.names) == NAMES and list(log.fees) == FEES and list(log.exclusive) == EXCLUSIVE
    assert list(log.discounts) == DEFAULT_DISCOUNTS and log.min_commitment == 90 * DAY


def test_no_discounts_means_the_defaults(system: System, artist: str) -> None:
    configure(system, artist, discounts=[])
    assert list(system.patronage.discounts(artist)) == DEFAULT_DISCOUNTS
    configure(system, artist, discounts=[100, 200, 300, 5_000])
    assert list(system.patronage.discounts(artist)) == [100, 200, 300, 5_000]


def test_eight_tiers_is_the_maximum(system: System, artist: str) -> None:
    """The ABI bounds (8 tiers, 32-byte names) are enforced by the contract's ABI decoder, which
    reverts without a reason string: no contract code runs and nothing changes."""
    names = [f"Tier {i}" for i in range(8)]
    configure(
        system, artist, names, [ONE * (i + 1) for i in range(8)], [i % 2 == 1 for i in range(8)]
    )
    assert len(system.patronage.tiers(artist)) == 8
    with pytest.raises(BoaError, match=r"Patronage\.configure"):
        configure(system, artist, [*names, "ninth"], [ONE] * 9, [False] * 9)
    with pytest.raises(BoaError, match=r"Patronage\.configure"):
        configure(system, artist, ["x" * 33], [ONE], [False])
    assert [t.name for t in system.patronage.tiers(artist)] == names


def test_unconfigured_artist_has_nothing(system: System, stranger: str) -> None:
    assert system.patronage.tiers(stranger) == []
    assert list(system.patronage.discounts(stranger)) == [0, 0, 0, 0]
    assert system.patronage.min_commitment(stranger) == 0


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no tiers", "patronage: no tiers"),
        ("fees length", "patronage: array lengths differ"),
        ("flags length", "patronage: array lengths differ"),
        ("empty name", "patronage: empty tier name"),
        ("zero fee", "patronage: zero fee"),
        ("huge fee", "patronage: fee too large"),
        ("three discounts", "patronage: need 4 discounts or none"),
        ("discount above cap", "patronage: discount above maximum"),
        ("discount of 100 %", "patronage: discount above maximum"),
        ("decreasing discounts", "patronage: discounts must not decrease"),
        ("long commitment", "patronage: commitment above maximum"),
    ],
)
def test_bad_configuration_reverts_and_changes_nothing(
    system: System, artist: str, case: str, reason: str
) -> None:
    configure(system, artist, min_commitment=DAY)
    args = {
        "no tiers": ([], [], [], [], 0),
        "fees length": (NAMES, [ONE], EXCLUSIVE, [], 0),
        "flags length": (NAMES, FEES, [True], [], 0),
        "empty name": (["Supporter", ""], FEES, EXCLUSIVE, [], 0),
        "zero fee": (NAMES, [ONE, 0], EXCLUSIVE, [], 0),
        "huge fee": (NAMES, [ONE, 2**128], EXCLUSIVE, [], 0),
        "three discounts": (NAMES, FEES, EXCLUSIVE, [0, 500, 1_000], 0),
        "discount above cap": (NAMES, FEES, EXCLUSIVE, [0, 500, 1_000, 5_001], 0),
        "discount of 100 %": (NAMES, FEES, EXCLUSIVE, [0, 0, 0, 10_000], 0),
        "decreasing discounts": (NAMES, FEES, EXCLUSIVE, [0, 1_000, 500, 2_000], 0),
        "long commitment": (NAMES, FEES, EXCLUSIVE, [], 365 * DAY + 1),
    }[case]
    with boa.env.prank(artist), boa.reverts(reason):
        system.patronage.configure(*args)
    assert [t.fee for t in system.patronage.tiers(artist)] == FEES
    assert list(system.patronage.discounts(artist)) == DEFAULT_DISCOUNTS
    assert system.patronage.min_commitment(artist) == DAY


def test_configuration_bounds_are_inclusive(system: System, artist: str) -> None:
    configure(system, artist, fees=[1, 2**128 - 1], discounts=[5_000] * 4, min_commitment=365 * DAY)
    assert [t.fee for t in system.patronage.tiers(artist)] == [1, 2**128 - 1]
    assert list(system.patronage.discounts(artist)) == [5_000] * 4
    assert system.patronage.min_commitment(artist) == 365 * DAY


def test_only_the_artist_configures_their_patronage(
    system: System, artist: str, stranger: str, patron: str, song: bytes
) -> None:
    """`configure` has no artist parameter: a stranger only ever configures their own terms, which
    never price the artist's songs."""
    configure(system, stranger, ["Cheap"], [1], [True])
    assert [t.fee for t in system.patronage.tiers(artist)] == FEES
    assert [t.fee for t in system.patronage.tiers(stranger)] == [1]
    with boa.reverts("patronage: payment below fee"):
        pay(system, patron, song, 1)
    assert pay(system, patron, song, FEES[SUPPORTER]) == FEES[SUPPORTER]
    assert system.patronage.is_active(artist, patron)
    assert not system.patronage.is_active(stranger, patron)


def test_reconfiguring_replaces_the_table(
    system: System, artist: str, patron: str, second_patron: str, song: bytes, exclusive_song: bytes
) -> None:
    """A patron keeps what they paid for until their patronage ends; the next payment pays the
    tier's current fee; a removed tier can no longer be paid for."""
    pay(system, patron, song, FEES[INNER], INNER)
    configure(system, artist, ["Solo"], [12 * ONE], [False])
    assert [(t.name, t.fee, t.exclusive) for t in system.patronage.tiers(artist)] == [
        ("Solo", 12 * ONE, False)
    ]
    assert system.patronage.is_authorized(exclusive_song, patron)  # paid for, kept
    with boa.reverts("patronage: tier does not exist"):
        pay(system, second_patron, song, FEES[INNER], INNER)
    travel_to(state(system, artist, patron).paid_until)
    with boa.reverts("patronage: payment below fee"):
        pay(system, patron, song, 12 * ONE - 1)
    assert pay(system, patron, song, 12 * ONE) == 12 * ONE
    s = state(system, artist, patron)
    assert (s.tier, s.exclusive) == (0, False)
    assert not system.patronage.is_authorized(exclusive_song, patron)


# ---------------------------------------------------------- patron-only


def test_only_the_artist_marks_songs_patron_only(
    system: System, artist: str, stranger: str, song: bytes
) -> None:
    with boa.env.prank(stranger), boa.reverts("patronage: caller is not the artist"):
        system.patronage.set_patron_only(song, True)
    with boa.env.prank(artist), boa.reverts("patronage: flag unchanged"):
        system.patronage.set_patron_only(song, False)
    with boa.env.prank(artist), boa.reverts("patronage: caller is not the artist"):
        system.patronage.set_patron_only(b"\x01" * 32, True)  # unregistered song
    assert not system.patronage.is_patron_only(song)
    with boa.env.prank(artist):
        system.patronage.set_patron_only(song, True)
    (log,) = system.patronage.get_logs()
    assert (type(log).__name__, log.song_id, log.artist, log.patron_only) == (
        "PatronOnlySet",
        song,
        artist,
        True,
    )
    assert system.patronage.is_patron_only(song)
    with boa.env.prank(artist):
        system.patronage.set_patron_only(song, False)
    assert not system.patronage.is_patron_only(song)


def test_public_songs_stream_free_for_everyone(system: System, stranger: str, song: bytes) -> None:
    assert system.patronage.is_authorized(song, stranger)
    assert system.router.is_authorized(song, stranger)
    assert system.router.quote(song, stranger, PaymentType.STREAM) == 0
    assert pay(system, stranger, song, 0, ptype=PaymentType.STREAM) == 0
    (log,) = events("Payment")
    assert (log.amount, log.fee, log.payer) == (0, 0, stranger)
    assert system.flow.balanceOf(system.router.address) == 0


def test_patron_only_songs_need_an_active_exclusive_tier(
    system: System,
    artist: str,
    patron: str,
    second_patron: str,
    stranger: str,
    song: bytes,
    exclusive_song: bytes,
) -> None:
    """testProcessPaymentRequiresSubscription, for the songs the artist keeps for patrons."""
    for who in (stranger, patron, second_patron):
        assert not system.patronage.is_authorized(exclusive_song, who)
        with boa.reverts("patronage: patrons only"):
            pay(system, who, exclusive_song, 0, ptype=PaymentType.STREAM)
    pay(system, patron, song, FEES[INNER], INNER)
    pay(system, second_patron, song, FEES[SUPPORTER], SUPPORTER)  # no exclusive content
    assert system.patronage.is_authorized(exclusive_song, patron)
    assert system.router.is_authorized(exclusive_song, patron)
    assert system.router.quote(exclusive_song, patron, PaymentType.STREAM) == 0
    assert pay(system, patron, exclusive_song, 0, ptype=PaymentType.STREAM) == 0
    assert not system.patronage.is_authorized(exclusive_song, second_patron)
    with boa.reverts("patronage: patrons only"):
        system.router.quote(exclusive_song, second_patron, PaymentType.STREAM)
    with boa.reverts("patronage: patrons only"):
        pay(system, second_patron, exclusive_song, 0, ptype=PaymentType.STREAM)
    assert system.patronage.is_authorized(exclusive_song, artist)  # the artist hears their own song
    travel_to(state(system, artist, patron).paid_until + GRACE + 1)
    assert not system.patronage.is_authorized(exclusive_song, patron)
    with boa.reverts("patronage: patrons only"):
        pay(system, patron, exclusive_song, 0, ptype=PaymentType.STREAM)


def test_patronage_is_per_artist_not_per_song(
    system: System, artist: str, producer: str, patron: str, song: bytes, exclusive_song: bytes
) -> None:
    """Joining through one song opens every patron-only song of the artist, and only theirs."""
    other = system.register("someone else's exclusive", PAT, producer)
    configure(system, producer)
    with boa.env.prank(producer):
        system.patronage.set_patron_only(other, True)
    pay(system, patron, song, FEES[INNER], INNER)
    assert system.patronage.is_authorized(exclusive_song, patron)
    assert not system.patronage.is_authorized(other, patron)
    # renewing through the patron-only song works the same
    travel_to(state(system, artist, patron).paid_until)
    assert pay(system, patron, exclusive_song, FEES[INNER], INNER) == FEES[INNER]
    assert state(system, artist, patron).paid_until == now() + PERIOD


# -------------------------------------------------------------- payments


def test_subscribe(system: System, artist: str, patron: str, treasury: str, song: bytes) -> None:
    """testSubscribe: the first payment charges the artist's fee through the router's split."""
    before = system.flow.balanceOf(patron)
    assert system.router.quote(song, patron, PaymentType.PATRONAGE, SUPPORTER) == FEES[SUPPORTER]
    t0 = now()
    assert pay(system, patron, song, FEES[SUPPORTER]) == FEES[SUPPORTER]
    assert system.flow.balanceOf(patron) == before - FEES[SUPPORTER]
    assert system.router.credits(artist) == net(FEES[SUPPORTER])
    assert system.router.credits(treasury) == FEES[SUPPORTER] // 100
    s = state(system, artist, patron)
    assert (s.tier, s.exclusive, s.start, s.paid_until, s.commitment_end) == (
        0,
        False,
        t0,
        t0 + PERIOD,
        t0,
    )
    assert (s.cancelled, s.active, s.level) == (False, True, 1)
    (log,) = events("PatronJoined")
    assert (log.artist, log.patron, log.song_id, log.tier, log.amount) == (
        artist,
        patron,
        song,
        0,
        FEES[0],
    )
    assert (log.start, log.paid_until, log.commitment_end) == (t0, t0 + PERIOD, t0)


def test_the_fee_is_the_artists_not_the_patrons(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    """Reference hole: the patron chose the fee, so 1 unit bought access. Here an offer below the
    fee reverts and a larger offer is charged only the fee."""
    for offer in (1, FEES[SUPPORTER] - 1):
        with boa.reverts("patronage: payment below fee"):
            pay(system, patron, song, offer)
    assert not system.patronage.is_active(artist, patron)
    assert pay(system, patron, song, 10 * FEES[SUPPORTER]) == FEES[SUPPORTER]
    assert system.router.credits(artist) == net(FEES[SUPPORTER])


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("artist without tiers", "patronage: artist has no tiers"),
        ("artist without tiers, tier 3", "patronage: artist has no tiers"),
        ("missing tier", "patronage: tier does not exist"),
        ("tier index 8", "patronage: tier does not exist"),
        ("huge tier index", "patronage: tier does not exist"),
        ("download", "patronage: unsupported payment type"),
        ("access", "patronage: unsupported payment type"),
        ("zero tip", "patronage: zero tip"),
    ],
)
def test_bad_payments_revert_and_change_nothing(
    system: System, artist: str, producer: str, patron: str, song: bytes, case: str, reason: str
) -> None:
    untiered = system.register("no tiers yet", PAT, producer)
    target, ptype, option, amount = song, PaymentType.PATRONAGE, 0, 100 * ONE
    if case.startswith("artist without tiers"):
        target, option = untiered, (3 if "3" in case else 0)
    elif case == "missing tier":
        option = 2
    elif case == "tier index 8":
        option = 8
    elif case == "huge tier index":
        option = 2**256 - 1
    elif case == "download":
        ptype = PaymentType.DOWNLOAD
    elif case == "access":
        ptype = PaymentType.ACCESS
    else:
        ptype, amount = PaymentType.TIP, 0
    balance = system.flow.balanceOf(patron)
    with boa.reverts(reason):
        pay(system, patron, target, amount, option, ptype)
    if case != "zero tip":  # a tip's quote is 1 unit, the smallest tip
        with boa.reverts(reason):
            system.router.quote(target, patron, ptype, option)
    assert system.flow.balanceOf(patron) == balance
    assert state(system, artist, patron).paid_until == 0
    assert state(system, producer, patron).paid_until == 0


def test_tips_are_charged_in_full(system: System, artist: str, stranger: str, song: bytes) -> None:
    system.fund(stranger)
    assert system.router.quote(song, stranger, PaymentType.TIP) == 1
    assert pay(system, stranger, song, 3 * ONE, ptype=PaymentType.TIP) == 3 * ONE
    assert system.router.credits(artist) == net(3 * ONE)
    assert not system.patronage.is_active(artist, stranger)  # a tip is not patronage


def test_cannot_subscribe_twice(system: System, artist: str, patron: str, song: bytes) -> None:
    """testCannotSubscribeTwice: paying again before paid-until is too early, in any tier."""
    pay(system, patron, song, FEES[SUPPORTER])
    for option in (SUPPORTER, INNER):
        with boa.reverts("patronage: too early to renew"):
            pay(system, patron, song, FEES[option], option)
        with boa.reverts("patronage: too early to renew"):
            system.router.quote(song, patron, PaymentType.PATRONAGE, option)
    assert system.router.credits(artist) == net(FEES[SUPPORTER])


def test_cannot_renew_too_early(system: System, artist: str, patron: str, song: bytes) -> None:
    """testCannotRenewTooEarly: at +15 d and at +30 d - 1 s renewal reverts."""
    pay(system, patron, song, FEES[SUPPORTER])
    paid_until = state(system, artist, patron).paid_until
    for t in (now() + 15 * DAY, paid_until - 1):
        travel_to(t)
        with boa.reverts("patronage: too early to renew"):
            pay(system, patron, song, FEES[SUPPORTER])
    assert state(system, artist, patron).paid_until == paid_until


def test_renew_subscription(system: System, artist: str, patron: str, song: bytes) -> None:
    """testRenewSubscription: renewal at exactly +30 d; the period extends from paid-until."""
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    travel_to(t0 + PERIOD)
    assert system.router.quote(song, patron, PaymentType.PATRONAGE, SUPPORTER) == FEES[SUPPORTER]
    assert pay(system, patron, song, FEES[SUPPORTER]) == FEES[SUPPORTER]
    assert system.router.credits(artist) == 2 * net(FEES[SUPPORTER])
    s = state(system, artist, patron)
    assert (s.start, s.paid_until, s.level) == (t0, t0 + 2 * PERIOD, 1)
    (log,) = events("PatronRenewed")
    assert (log.patron, log.tier, log.level, log.amount) == (patron, 0, 1, FEES[SUPPORTER])
    assert (log.start, log.paid_until, log.song_id) == (t0, t0 + 2 * PERIOD, song)


def test_late_renewal_does_not_drift(system: System, artist: str, patron: str, song: bytes) -> None:
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    travel_to(t0 + PERIOD + 5 * DAY)
    pay(system, patron, song, FEES[SUPPORTER])
    assert state(system, artist, patron).paid_until == t0 + 2 * PERIOD


def test_grace_keeps_continuity(system: System, artist: str, patron: str, song: bytes) -> None:
    """The last second of the grace period is still a renewal: start and loyalty are kept."""
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    travel_to(t0 + PERIOD + GRACE)
    assert system.patronage.is_active(artist, patron)
    pay(system, patron, song, FEES[SUPPORTER])
    assert events("PatronRenewed")
    s = state(system, artist, patron)
    assert (s.start, s.paid_until) == (t0, t0 + 2 * PERIOD)


def test_a_lapse_resets_continuity(system: System, artist: str, patron: str, song: bytes) -> None:
    """One second after the grace a payment starts afresh: new start, full fee, level 1."""
    configure(system, artist, discounts=[1_000, 1_000, 2_000, 3_000])
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    travel_to(t0 + PERIOD + GRACE + 1)
    assert not system.patronage.is_active(artist, patron)
    assert system.patronage.price_for(artist, patron, SUPPORTER) == FEES[SUPPORTER]
    assert pay(system, patron, song, FEES[SUPPORTER]) == FEES[SUPPORTER]  # no level-1 discount
    assert events("PatronJoined") and not events("PatronRenewed")
    s = state(system, artist, patron)
    assert (s.start, s.paid_until, s.level) == (now(), now() + PERIOD, 1)


def test_subscription_expiry(
    system: System, artist: str, patron: str, song: bytes, exclusive_song: bytes
) -> None:
    """testHasActiveSubscription + testSubscriptionExpiry: active at +0, +30 d and +37 d (grace
    included), not at +37 d + 1 s; patron-only access follows."""
    assert not system.patronage.is_active(artist, patron)
    t0 = now()
    pay(system, patron, song, FEES[INNER], INNER)
    for t in (t0, t0 + PERIOD, t0 + PERIOD + GRACE):
        travel_to(t)
        assert system.patronage.is_active(artist, patron)
        assert state(system, artist, patron).active
        assert system.patronage.is_authorized(exclusive_song, patron)
    travel_to(t0 + PERIOD + GRACE + 1)
    assert not system.patronage.is_active(artist, patron)
    s = state(system, artist, patron)
    assert (s.active, s.level) == (False, 0)
    assert not system.patronage.is_authorized(exclusive_song, patron)


def test_subscription_tiers(system: System, artist: str, patron: str, song: bytes) -> None:
    """testSubscriptionTiers, at the exact boundaries: 89 d 23:59:59 is level 1 and 90 d level 2,
    likewise at 180 d and 365 d, for a patron who renews on every due date."""
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    assert state(system, artist, patron).level == 1
    for days, level in ((90, 2), (180, 3), (365, 4)):
        boundary = t0 + days * DAY
        renew_through(system, patron, song, artist, boundary - 1)
        travel_to(boundary - 1)
        assert state(system, artist, patron).level == level - 1
        travel_to(boundary)
        assert state(system, artist, patron).level == level
        assert state(system, artist, patron).start == t0
    renew_through(system, patron, song, artist, t0 + 400 * DAY)
    travel_to(t0 + 400 * DAY)
    assert state(system, artist, patron).level == 4
    p = system.patronage
    assert [p.loyalty_level(d) for d in (0, 90 * DAY - 1, 90 * DAY, 180 * DAY - 1, 180 * DAY)] == [
        1,
        1,
        2,
        2,
        3,
    ]
    assert [p.loyalty_level(d) for d in (365 * DAY - 1, 365 * DAY, 10 * 365 * DAY)] == [3, 4, 4]


def test_loyalty_discounts_on_renewal(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    """Renewals at 90 d and 180 d get 5 % and 10 % off; the renewal window at 360 d straddles 365 d:
    at 364 d 23:59:59 it is 10 % off, at 365 d 20 % off."""
    t0 = now()
    fee = FEES[SUPPORTER]
    pay(system, patron, song, fee)
    renew_through(system, patron, song, artist, t0 + 90 * DAY - 1)
    travel_to(t0 + 90 * DAY)
    assert system.patronage.price_for(artist, patron, SUPPORTER) == discounted(fee, 500)
    assert pay(system, patron, song, fee) == discounted(fee, 500)
    (log,) = events("PatronRenewed")
    assert (log.level, log.amount) == (2, discounted(fee, 500))
    renew_through(system, patron, song, artist, t0 + 180 * DAY - 1)
    travel_to(t0 + 180 * DAY)
    assert pay(system, patron, song, fee) == discounted(fee, 1_000)
    renew_through(system, patron, song, artist, t0 + 330 * DAY)
    assert state(system, artist, patron).paid_until == t0 + 360 * DAY
    with boa.env.anchor():
        travel_to(t0 + 365 * DAY - 1)
        with boa.reverts("patronage: payment below fee"):
            pay(system, patron, song, discounted(fee, 1_000) - 1)
        assert pay(system, patron, song, discounted(fee, 1_000)) == discounted(fee, 1_000)
        assert events("PatronRenewed")[0].level == 3
    travel_to(t0 + 365 * DAY)
    assert system.router.quote(song, patron, PaymentType.PATRONAGE, SUPPORTER) == discounted(
        fee, 2_000
    )
    assert pay(system, patron, song, fee) == discounted(fee, 2_000)
    assert events("PatronRenewed")[0].level == 4


def test_the_discount_is_floored(system: System, artist: str, patron: str, song: bytes) -> None:
    """price = fee - floor(fee * discount / 10000), with an awkward fee and a level-1 discount."""
    configure(system, artist, ["Odd"], [999], [False], discounts=[333, 500, 1_000, 2_000])
    t0 = now()
    assert pay(system, patron, song, 999) == 999  # joining is always full price
    travel_to(t0 + PERIOD)
    assert pay(system, patron, song, 999) == 999 - 999 * 333 // 10_000 == 966


def test_changing_tier_on_renewal(
    system: System, artist: str, patron: str, song: bytes, exclusive_song: bytes
) -> None:
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    renew_through(system, patron, song, artist, t0 + 60 * DAY)
    travel_to(t0 + 90 * DAY)
    assert not system.patronage.is_authorized(exclusive_song, patron)
    # Up to a dearer tier: a fresh start, at the full fee, loyalty from level 1 again.
    assert pay(system, patron, song, FEES[INNER], INNER) == FEES[INNER]
    (joined,) = events("PatronJoined")
    assert (joined.tier, joined.amount, joined.start) == (INNER, FEES[INNER], t0 + 90 * DAY)
    s = state(system, artist, patron)
    assert (s.tier, s.exclusive, s.start, s.level) == (INNER, True, t0 + 90 * DAY, 1)
    assert s.paid_until == t0 + 120 * DAY  # no paid day lost
    assert system.patronage.continuity_fee(artist, patron) == FEES[INNER]
    assert system.patronage.is_authorized(exclusive_song, patron)


def renew_tier(system: System, who: str, song: bytes, artist: str, tier: int, until: int) -> None:
    """Renew `tier` at each paid-until while it is at most `until`."""
    while (due := state(system, artist, who).paid_until) <= until:
        travel_to(due)
        pay(system, who, song, 10**6 * ONE, tier)


CHEAP_FEES = [1, 10 * ONE, 25 * ONE, 25 * ONE]  # 1 wei, a middle tier, two equally dear ones


def test_a_year_on_a_one_wei_tier_buys_no_discount_on_the_dearest(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    """The attack: a year of 1-wei renewals reaches loyalty level 4, then the patron pays the
    dearest tier expecting its 20 % discount. Moving up starts afresh: full fee, level 1."""
    configure(system, artist, names=["a", "b", "c", "d"], fees=CHEAP_FEES, exclusive=[False] * 4)
    t0 = now()
    pay(system, patron, song, 1, 0)
    renew_tier(system, patron, song, artist, 0, t0 + 360 * DAY)
    travel_to(state(system, artist, patron).paid_until)
    assert state(system, artist, patron).level == 4
    assert system.patronage.continuity_fee(artist, patron) == 1
    assert system.patronage.price_for(artist, patron, 2) == 25 * ONE
    credited = system.router.credits(artist)

    assert pay(system, patron, song, 25 * ONE, 2) == 25 * ONE
    (joined,) = events("PatronJoined")
    assert (joined.tier, joined.amount, joined.start) == (2, 25 * ONE, now())
    s = state(system, artist, patron)
    assert (s.tier, s.start, s.level) == (2, now(), 1)
    assert system.router.credits(artist) - credited == 25 * ONE - 25 * ONE // 100
    # A month later the renewal of the dear tier is at level 1: no discount.
    travel_to(s.paid_until)
    assert pay(system, patron, song, 25 * ONE, 2) == 25 * ONE


def test_moving_down_keeps_loyalty_and_back_up_starts_afresh(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    configure(system, artist, names=["a", "b", "c", "d"], fees=CHEAP_FEES, exclusive=[False] * 4)
    t0 = now()
    pay(system, patron, song, 25 * ONE, 2)
    renew_tier(system, patron, song, artist, 2, t0 + 360 * DAY)
    travel_to(state(system, artist, patron).paid_until)
    # Down to the 10 FLOW tier: a renewal at level 4 (20 % off); continuity now at 10 FLOW.
    assert pay(system, patron, song, 25 * ONE, 1) == 8 * ONE
    (renewed,) = events("PatronRenewed")
    assert (renewed.tier, renewed.level, renewed.start) == (1, 4, t0)
    assert system.patronage.continuity_fee(artist, patron) == 10 * ONE
    # Back up to 25 FLOW: afresh.
    travel_to(state(system, artist, patron).paid_until)
    assert pay(system, patron, song, 25 * ONE, 2) == 25 * ONE
    assert state(system, artist, patron).level == 1


def test_continuity_boundaries_at_exact_fees(
    system: System, artist: str, patron: str, second_patron: str, song: bytes
) -> None:
    """A tier at exactly the continuity fee keeps loyalty; one unit above starts afresh."""
    fees = [10 * ONE, 10 * ONE, 10 * ONE + 1]
    configure(system, artist, names=["a", "b", "c"], fees=fees, exclusive=[False] * 3)
    t0 = now()
    for who in (patron, second_patron):
        pay(system, who, song, 10 * ONE, 0)
    while (due := state(system, artist, patron).paid_until) <= t0 + 90 * DAY:
        travel_to(due)
        for who in (patron, second_patron):
            pay(system, who, song, 10 * ONE, 0)
    travel_to(state(system, artist, patron).paid_until)
    assert pay(system, patron, song, 11 * ONE, 1) == discounted(10 * ONE, 500)  # equal fee
    assert state(system, artist, patron).start == t0
    assert pay(system, second_patron, song, 11 * ONE, 2) == 10 * ONE + 1  # one unit dearer
    assert state(system, artist, second_patron).start == now()


def test_a_raised_fee_on_the_same_tier_keeps_loyalty(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    """The artist raising a tier's fee does not reset its patrons: the same tier continues."""
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    renew_through(system, patron, song, artist, t0 + 90 * DAY)
    configure(system, artist, fees=[12 * ONE, 25 * ONE])
    travel_to(state(system, artist, patron).paid_until)
    assert pay(system, patron, song, 12 * ONE) == discounted(12 * ONE, 500)
    assert state(system, artist, patron).start == t0
    assert system.patronage.continuity_fee(artist, patron) == 12 * ONE


def test_moving_up_mid_period_is_too_early_and_changes_nothing(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    pay(system, patron, song, FEES[SUPPORTER])
    before = tuple(state(system, artist, patron)), system.flow.balanceOf(patron)
    with boa.env.prank(patron), boa.reverts("patronage: too early to renew"):
        system.router.pay(song, FEES[INNER], PaymentType.PATRONAGE, INNER)
    assert (tuple(state(system, artist, patron)), system.flow.balanceOf(patron)) == before


def test_multiple_patrons(
    system: System, artist: str, patron: str, second_patron: str, listeners: list[str], song: bytes
) -> None:
    """testMultiplePatrons + testGetArtistStats: each patron has their own record; the artist is
    credited every fee (patron counts and revenue are rebuilt off-chain from the events)."""
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    boa.env.time_travel(seconds=DAY)
    pay(system, second_patron, song, FEES[INNER], INNER)
    fans = listeners[:3]
    for fan in fans:
        system.fund(fan)
        pay(system, fan, song, FEES[SUPPORTER])
    assert all(system.patronage.is_active(artist, who) for who in (patron, second_patron, *fans))
    assert state(system, artist, patron).start == t0
    assert state(system, artist, second_patron).start == t0 + DAY
    assert state(system, artist, second_patron).tier == INNER
    revenue = 4 * FEES[SUPPORTER] + FEES[INNER]
    assert system.router.credits(artist) + system.router.credits(system.treasury) == revenue
    assert system.flow.balanceOf(system.router.address) == revenue


# ----------------------------------------------------------------- cancel


def test_cancel_subscription(
    system: System, artist: str, patron: str, song: bytes, exclusive_song: bytes
) -> None:
    """testCancelSubscription: no refund; access until paid-until without grace; the next payment
    starts a new patronage that keeps the paid days left."""
    t0 = now()
    pay(system, patron, song, FEES[INNER], INNER)
    balance = system.flow.balanceOf(patron)
    credits = system.router.credits(artist)
    travel_to(t0 + 10 * DAY)
    with boa.env.prank(patron):
        system.patronage.cancel(artist)
    (log,) = system.patronage.get_logs()
    assert (type(log).__name__, log.artist, log.patron, log.access_until) == (
        "PatronCancelled",
        artist,
        patron,
        t0 + PERIOD,
    )
    assert system.flow.balanceOf(patron) == balance
    assert system.router.credits(artist) == credits
    s = state(system, artist, patron)
    assert (s.cancelled, s.active) == (True, True)
    with boa.env.prank(patron), boa.reverts("patronage: already cancelled"):
        system.patronage.cancel(artist)
    with boa.env.anchor():
        travel_to(t0 + PERIOD)
        assert system.patronage.is_authorized(exclusive_song, patron)
        travel_to(t0 + PERIOD + 1)
        assert not system.patronage.is_active(artist, patron)
        assert not system.patronage.is_authorized(exclusive_song, patron)
        with boa.env.prank(patron), boa.reverts("patronage: not a patron"):
            system.patronage.cancel(artist)
    travel_to(t0 + 20 * DAY)
    assert system.router.quote(song, patron, PaymentType.PATRONAGE, INNER) == FEES[INNER]
    assert pay(system, patron, song, FEES[INNER], INNER) == FEES[INNER]
    assert events("PatronJoined")
    s = state(system, artist, patron)
    assert (s.start, s.paid_until, s.cancelled, s.level) == (
        t0 + 20 * DAY,
        t0 + 2 * PERIOD,
        False,
        1,
    )


def test_cannot_cancel_without_patronage(
    system: System, artist: str, patron: str, stranger: str, song: bytes
) -> None:
    with boa.env.prank(stranger), boa.reverts("patronage: not a patron"):
        system.patronage.cancel(artist)
    pay(system, patron, song, FEES[SUPPORTER])
    with boa.env.prank(patron), boa.reverts("patronage: not a patron"):
        system.patronage.cancel(stranger)  # not a patron of that address
    travel_to(state(system, artist, patron).paid_until + GRACE + 1)
    with boa.env.prank(patron), boa.reverts("patronage: not a patron"):
        system.patronage.cancel(artist)


def test_cancel_during_grace_ends_access_at_once(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    travel_to(t0 + PERIOD + DAY)
    assert system.patronage.is_active(artist, patron)
    with boa.env.prank(patron):
        system.patronage.cancel(artist)
    assert not system.patronage.is_active(artist, patron)
    assert pay(system, patron, song, FEES[SUPPORTER]) == FEES[SUPPORTER]
    assert state(system, artist, patron).paid_until == now() + PERIOD


def test_cannot_cancel_with_minimum_duration(
    system: System, artist: str, patron: str, song: bytes
) -> None:
    """testCannotCancelWithMinimumDuration: 90-day commitment; at +30 d and at +90 d - 1 s cancel
    reverts, at exactly +90 d it succeeds (the patron renewed to stay active)."""
    configure(system, artist, min_commitment=90 * DAY)
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    assert state(system, artist, patron).commitment_end == t0 + 90 * DAY
    for t in (t0 + PERIOD, t0 + 90 * DAY - 1):
        renew_through(system, patron, song, artist, t)
        travel_to(t)
        with boa.env.prank(patron), boa.reverts("patronage: minimum commitment not met"):
            system.patronage.cancel(artist)
    travel_to(t0 + 90 * DAY)
    with boa.env.prank(patron):
        system.patronage.cancel(artist)
    assert state(system, artist, patron).cancelled


def test_commitment_is_fixed_when_the_patronage_starts(
    system: System, artist: str, patron: str, second_patron: str, song: bytes
) -> None:
    """Raising the commitment later binds new patronages only."""
    configure(system, artist, min_commitment=DAY)
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    configure(system, artist, min_commitment=60 * DAY)
    pay(system, second_patron, song, FEES[SUPPORTER])
    travel_to(t0 + DAY)
    with boa.env.prank(second_patron), boa.reverts("patronage: minimum commitment not met"):
        system.patronage.cancel(artist)
    with boa.env.prank(patron):
        system.patronage.cancel(artist)
    assert state(system, artist, patron).cancelled


# ------------------------------------------------------------------ quote


def test_quote_and_price_for(
    system: System, artist: str, patron: str, stranger: str, song: bytes
) -> None:
    p = system.patronage
    assert p.quote(song, stranger, PaymentType.PATRONAGE, INNER) == FEES[INNER]
    assert p.price_for(artist, stranger, INNER) == FEES[INNER]
    with boa.reverts("patronage: tier does not exist"):
        p.price_for(artist, stranger, 5)
    with boa.reverts("patronage: artist has no tiers"):
        p.price_for(stranger, patron, 0)
    with boa.reverts("patronage: unsupported payment type"):
        p.quote(song, stranger, PaymentType.DOWNLOAD, 0)
    t0 = now()
    pay(system, patron, song, FEES[SUPPORTER])
    renew_through(system, patron, song, artist, t0 + 60 * DAY)
    travel_to(t0 + 85 * DAY)
    assert p.price_for(artist, patron, SUPPORTER) == FEES[SUPPORTER]  # level 1, no timing check
    travel_to(t0 + 90 * DAY)
    assert p.quote(song, patron, PaymentType.PATRONAGE, SUPPORTER) == discounted(
        FEES[SUPPORTER], 500
    )
    assert p.price_for(artist, patron, SUPPORTER) == discounted(FEES[SUPPORTER], 500)
    # A dearer tier is priced as a fresh start: continuity was earned at the supporter's fee.
    assert p.quote(song, patron, PaymentType.PATRONAGE, INNER) == FEES[INNER]
    assert p.price_for(artist, patron, INNER) == FEES[INNER]


# -------------------------------------------------------------------- gas


def test_gas_of_a_second_patron_joining_and_of_a_renewal(
    owner: str, treasury: str, artist: str, patron: str, second_patron: str
) -> None:
    """Measured in a fresh environment: resetting the warm/cold access counters there does not
    disturb the snapshots the titanoboa plugin keeps of the shared one."""
    with boa.swap_env(boa.Env()):
        system = build_system(owner, treasury)
        song = system.register("gas song", PAT, artist)
        configure(system, artist)
        system.fund(patron)
        system.fund(second_patron)
        pay(system, patron, song, FEES[SUPPORTER])
        join = tx_gas(system, second_patron, song, FEES[INNER], PaymentType.PATRONAGE, INNER)
        assert join <= GAS_JOIN_TARGET, join
        travel_to(state(system, artist, patron).paid_until)
        renew = tx_gas(system, patron, song, FEES[SUPPORTER], PaymentType.PATRONAGE, SUPPORTER)
        assert renew <= GAS_RENEW_TARGET, renew
        print(f"patronage gas: second patron joining {join}, renewal {renew}")


# ---------------------------------------------------------------- property


@dataclass(frozen=True)
class Record:
    """The Python model of one patron's on-chain record."""

    paid_until: int
    start: int
    commitment_end: int
    tier: int
    exclusive: bool
    cancelled: bool
    fee: int  # the continuity fee: the full fee of the tier of the last payment


MODEL_COMMITMENT = 45 * DAY


def model_active(rec: Record | None, t: int) -> bool:
    return rec is not None and t <= rec.paid_until + (0 if rec.cancelled else GRACE)


def model_level(elapsed: int) -> int:
    return (
        1 if elapsed < 90 * DAY else 2 if elapsed < 180 * DAY else 3 if elapsed < 365 * DAY else 4
    )


def model_pay(rec: Record | None, t: int, tier: int) -> tuple[str | None, int, Record | None]:
    """(revert reason or None, price, new record) of a PATRONAGE payment for `tier` at `t`."""
    if tier >= len(FEES):
        return "patronage: tier does not exist", 0, rec
    fee = FEES[tier]
    if rec is not None and not rec.cancelled and t <= rec.paid_until + GRACE:
        if t < rec.paid_until:
            return "patronage: too early to renew", 0, rec
        if tier == rec.tier or fee <= rec.fee:
            price = discounted(fee, DEFAULT_DISCOUNTS[model_level(t - rec.start) - 1])
            new = replace(
                rec,
                paid_until=rec.paid_until + PERIOD,
                tier=tier,
                exclusive=EXCLUSIVE[tier],
                fee=fee,
            )
            return None, price, new
        # Up to a dearer tier: afresh, keeping the paid time and the commitment still due.
        commitment = max(t + MODEL_COMMITMENT, rec.commitment_end)
        return None, fee, Record(t + PERIOD, t, commitment, tier, EXCLUSIVE[tier], False, fee)
    base = rec.paid_until if rec is not None else 0
    return (
        None,
        fee,
        Record(max(base, t) + PERIOD, t, t + MODEL_COMMITMENT, tier, EXCLUSIVE[tier], False, fee),
    )


TIME_STEPS = st.one_of(
    st.sampled_from([0, 0, 0, 1, DAY, 3 * DAY, GRACE, GRACE + 1, 15 * DAY]),
    st.sampled_from([PERIOD - 1, PERIOD, PERIOD + 1, PERIOD + GRACE, PERIOD + GRACE + 1]),
    st.integers(min_value=0, max_value=60 * DAY),
)
STEPS = st.lists(
    st.tuples(
        TIME_STEPS,
        st.sampled_from(
            ["pay", "renew", "renew", "renew", "renew", "underpay", "cancel", "stream"]
        ),
        st.integers(min_value=0, max_value=1),  # which patron
        st.sampled_from([0, 0, 1, 1, 2]),  # tier option; 2 does not exist
        st.sampled_from([0, 0, 1, DAY, GRACE - 1, GRACE, GRACE + 1]),  # "renew": after paid-until
    ),
    min_size=1,
    max_size=40,
)


@given(loyal_periods=st.integers(min_value=0, max_value=15), steps=STEPS)
@settings(max_examples=80, deadline=None)
def test_access_and_charges_match_a_model(
    system: System, artist: str, patron: str, second_patron: str, loyal_periods: int, steps: list
) -> None:
    """Random time steps, payments (enough, one unit short, or around the due date), cancels and
    patron-only streams:
    after every step `is_authorized`, `is_active` and the patron record match the model, every
    charge is the model's price, and the router holds exactly what was charged."""
    song = system.register("model song", PAT, artist)
    gated = system.register("model gated song", PAT, artist)
    configure(system, artist, min_commitment=MODEL_COMMITMENT)
    with boa.env.prank(artist):
        system.patronage.set_patron_only(gated, True)
    patrons = [patron, second_patron]
    for who in patrons:
        system.fund(who, 10**6 * ONE)
    model: dict[str, Record | None] = dict.fromkeys(patrons)
    charged_total = 0
    # The first patron may start with a history of on-time payments, so that random sequences
    # also reach the higher loyalty levels.
    history = [(0, "renew", 0, SUPPORTER, 0)] * loyal_periods
    for dt, action, index, tier, offset in history + steps:
        who = patrons[index]
        rec = model[who]
        if action != "renew":
            boa.env.time_travel(seconds=dt)
        elif rec is not None and rec.paid_until + offset > now():
            travel_to(rec.paid_until + offset)  # pay around the due date, as a loyal patron does
        t = now()
        if action in ("pay", "renew", "underpay"):
            reason, price, new = model_pay(rec, t, tier)
            if reason is None and action == "underpay":
                reason, new = "patronage: payment below fee", rec
            if reason is None:
                if action == "renew" and new.start != t:
                    event(f"renewal at level {model_level(t - new.start)}")
                assert system.router.quote(song, who, PaymentType.PATRONAGE, tier) == price
                assert pay(system, who, song, price + 1, tier) == price
                charged_total += price
            else:
                with boa.reverts(reason):
                    pay(system, who, song, max(price - 1, 0), tier)
            model[who] = new
        elif action == "cancel":
            reason = (
                "patronage: not a patron"
                if not model_active(rec, t)
                else "patronage: already cancelled"
                if rec.cancelled
                else "patronage: minimum commitment not met"
                if t < rec.commitment_end
                else None
            )
            if reason is None:
                with boa.env.prank(who):
                    system.patronage.cancel(artist)
                model[who] = replace(rec, cancelled=True)
            else:
                with boa.env.prank(who), boa.reverts(reason):
                    system.patronage.cancel(artist)
        else:
            if model_active(rec, t) and rec.exclusive:
                assert pay(system, who, gated, 0, ptype=PaymentType.STREAM) == 0
            else:
                with boa.reverts("patronage: patrons only"):
                    pay(system, who, gated, 0, ptype=PaymentType.STREAM)
        for p in patrons:
            r = model[p]
            allowed = model_active(r, t) and r.exclusive
            assert system.patronage.is_authorized(gated, p) == allowed
            assert system.router.is_authorized(gated, p) == allowed
            assert system.patronage.is_authorized(song, p)
            s = state(system, artist, p)
            assert s.active == model_active(r, t)
            if r is None:
                assert s.paid_until == 0
            else:
                assert (s.paid_until, s.start, s.commitment_end) == (
                    r.paid_until,
                    r.start,
                    r.commitment_end,
                )
                assert (s.tier, s.exclusive, s.cancelled) == (r.tier, r.exclusive, r.cancelled)
                assert system.patronage.continuity_fee(artist, p) == r.fee
                assert s.level == (model_level(t - r.start) if s.active else 0)
        assert system.patronage.is_authorized(gated, artist)
        credited = system.router.credits(artist) + system.router.credits(system.treasury)
        assert credited == charged_total == system.flow.balanceOf(system.router.address)

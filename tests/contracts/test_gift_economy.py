"""Gift-economy strategy: free streams earn CGC, tips are charged in full and split by the router.

Every payment goes through ``system.router.pay`` as a real listener would send it; the reference
cases of strategies.md §3.3 (and the gift cases of §3.1) are named in each test's docstring.
"""

from __future__ import annotations

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelix.chain.artifacts import source_path
from mycelix.chain.units import HOUR, ONE, PaymentType
from mycelix.strategies.ids import strategy_id
from tests.contracts.conftest import System, build_system, salt, song_id_for

STREAM = PaymentType.STREAM
DOWNLOAD = PaymentType.DOWNLOAD
TIP = PaymentType.TIP
PATRONAGE = PaymentType.PATRONAGE
ACCESS = PaymentType.ACCESS

GIFT = "gift-economy-v1"
DEFAULTS = (ONE, 10 * ONE, 100, 15_000)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


# ------------------------------------------------------------------ helpers


def configure(system: System, sid: bytes, artist: str, cfg: tuple[int, int, int, int]) -> None:
    with boa.env.prank(artist):
        system.gift.configure(sid, *cfg)


def pay(system: System, sid: bytes, who: str, amount: int = 0, kind: int = STREAM) -> int:
    with boa.env.prank(who):
        return system.router.pay(sid, amount, kind)


def stream(system: System, sid: bytes, who: str) -> int:
    return pay(system, sid, who)


def tip(system: System, sid: bytes, who: str, amount: int) -> int:
    return pay(system, sid, who, amount, TIP)


def later(seconds: int = HOUR) -> None:
    boa.env.time_travel(seconds=seconds)


def logs_named(contract, name: str) -> list:
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def rewards(system: System) -> list:
    """The ListenRewarded events of the last router call."""
    return logs_named(system.router, "ListenRewarded")


def hourly_streams(system: System, sid: bytes, who: str, n: int) -> None:
    for _ in range(n):
        stream(system, sid, who)
        later()


def cgc(system: System, who: str) -> int:
    return system.cgc.balanceOf(who)


def expected_rewards(cfg: tuple[int, int, int, int], n: int, prior_listeners: int = 0) -> list[int]:
    """The reward of each of one listener's first ``n`` rewarded listens (the rule, in Python)."""
    base, bonus, threshold, mult = cfg
    out = []
    for prior in range(n):
        r = base
        if prior == 0 and prior_listeners < threshold:
            r += bonus
        if prior >= 5:
            r = r * mult // 10_000
        out.append(r)
    return out


@pytest.fixture
def song(system: System, artist: str) -> bytes:
    return system.register("gift-song", GIFT, artist)


# ------------------------------------------------------------ deployment


def test_constructor_rejects_non_contracts(system: System, stranger: str) -> None:
    path = str(source_path("GiftEconomy"))
    with boa.reverts("gift: router is not a contract"):
        boa.load(path, stranger, system.cgc.address)
    with boa.reverts("gift: cgc is not a contract"):
        boa.load(path, system.router.address, stranger)


def test_wiring_and_constants(system: System) -> None:
    assert system.gift.router() == system.router.address
    assert system.gift.cgc() == system.cgc.address
    assert system.cgc.minter() == system.gift.address
    assert system.gift.REWARD_INTERVAL() == 3600
    assert system.gift.REPEAT_AFTER() == 5
    assert system.gift.MIN_REPEAT_MULTIPLIER_BPS() == 10_000
    assert system.gift.MAX_REPEAT_MULTIPLIER_BPS() == 100_000
    assert system.gift.MAX_CGC_PER_LISTEN() == 100 * ONE
    assert system.gift.MAX_EARLY_BONUS() == 1_000 * ONE
    assert system.gift.DAILY_CGC_CAP() == 10_000 * ONE
    assert system.gift.CAP_UNIT() == 10**9
    assert (
        system.gift.DEFAULT_CGC_PER_LISTEN(),
        system.gift.DEFAULT_EARLY_BONUS(),
        system.gift.DEFAULT_EARLY_THRESHOLD(),
        system.gift.DEFAULT_REPEAT_MULTIPLIER_BPS(),
    ) == DEFAULTS


# --------------------------------------------------------- configuration


def test_defaults_apply_until_configured(system: System, song: bytes, listener: str) -> None:
    """A registered song rewards at once: 1 CGC + 10 CGC early bonus (reference README defaults)."""
    cfg = system.gift.config(song)
    assert (
        cfg.cgc_per_listen,
        cfg.early_bonus,
        cfg.early_threshold,
        cfg.repeat_multiplier_bps,
    ) == DEFAULTS
    assert cfg.configured is False
    assert stream(system, song, listener) == 0
    assert cgc(system, listener) == 11 * ONE
    # Counting listeners of an unconfigured song must not turn it into a configured one.
    assert system.gift.listener_count(song) == 1
    assert system.gift.config(song).configured is False


def test_default_worked_example(system: System, song: bytes, listener: str) -> None:
    """strategies.md §2.2 worked example: (1, 10, 100, x1.5) → 16.5 after 6 listens, 18 after 7."""
    hourly_streams(system, song, listener, 6)
    assert cgc(system, listener) == 16_500_000_000_000_000_000
    stream(system, song, listener)
    assert cgc(system, listener) == 18 * ONE


def test_configure_emits_event_and_applies(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    """testConfigureGiftEconomy: (1, 5, 100, 15000) logs all values; a stream → (1, t, 6, early)."""
    configure(system, song, artist, (ONE, 5 * ONE, 100, 15_000))
    (event,) = logs_named(system.gift, "GiftConfigured")
    assert event.song_id == song
    assert event.artist == artist
    assert (
        event.cgc_per_listen,
        event.early_bonus,
        event.early_threshold,
        event.repeat_multiplier_bps,
    ) == (
        ONE,
        5 * ONE,
        100,
        15_000,
    )
    cfg = system.gift.config(song)
    assert tuple(cfg) == (ONE, 5 * ONE, 100, 15_000, True)

    stream(system, song, listener)
    profile = system.gift.profile(song, listener)
    assert profile.listens == 1
    assert profile.last_reward_at == boa.env.timestamp
    assert profile.total_earned == 6 * ONE
    assert profile.early is True
    assert cgc(system, listener) == 6 * ONE


def test_only_artist_can_configure(
    system: System, song: bytes, artist: str, listener: str, stranger: str
) -> None:
    """testOnlyArtistCanConfigure, plus unregistered songs and the router itself."""
    for who in (listener, stranger, system.router.address):
        with boa.env.prank(who), boa.reverts("gift: caller is not the artist"):
            system.gift.configure(song, ONE, 0, 0, 10_000)
    with boa.env.prank(artist), boa.reverts("gift: caller is not the artist"):
        system.gift.configure(salt("never-registered"), ONE, 0, 0, 10_000)
    assert system.gift.config(song).configured is False


@pytest.mark.parametrize(
    ("cfg", "reason"),
    [
        ((ONE, 0, 0, 9_999), "gift: multiplier below 10000"),
        ((ONE, 0, 0, 0), "gift: multiplier below 10000"),
        ((ONE, 0, 0, 100_001), "gift: multiplier above 100000"),
        ((100 * ONE + 1, 0, 0, 10_000), "gift: cgc per listen above maximum"),
        ((ONE, 1_000 * ONE + 1, 0, 10_000), "gift: early bonus above maximum"),
        ((ONE, 0, 2**32, 10_000), "gift: early threshold above maximum"),
    ],
)
def test_bad_config_reverts_and_changes_nothing(
    system: System, song: bytes, artist: str, cfg: tuple[int, int, int, int], reason: str
) -> None:
    """testCannotConfigureWithInvalidMultiplier, and the documented upper bounds."""
    configure(system, song, artist, (2 * ONE, 3 * ONE, 4, 20_000))
    with boa.env.prank(artist), boa.reverts(reason):
        system.gift.configure(song, *cfg)
    assert tuple(system.gift.config(song)) == (2 * ONE, 3 * ONE, 4, 20_000, True)


def test_config_bounds_are_inclusive(system: System, song: bytes, artist: str) -> None:
    for cfg in [(0, 0, 0, 10_000), (100 * ONE, 1_000 * ONE, 2**32 - 1, 100_000)]:
        configure(system, song, artist, cfg)
        assert tuple(system.gift.config(song)) == (*cfg, True)


def test_artist_may_reconfigure_future_rewards_only(
    system: System, song: bytes, artist: str, listener: str, listeners: list[str]
) -> None:
    """Design choice (replaces testCannotConfigureTwice): config is updatable; the past is kept."""
    configure(system, song, artist, (ONE, 0, 1000, 20_000))
    hourly_streams(system, song, listener, 5)
    assert cgc(system, listener) == 5 * ONE

    configure(system, song, artist, (3 * ONE, 7 * ONE, 2, 30_000))
    assert len(logs_named(system.gift, "GiftConfigured")) == 1
    # Profile and listener count survive the new configuration...
    profile = system.gift.profile(song, listener)
    assert (profile.listens, profile.total_earned, profile.early) == (5, 5 * ONE, True)
    assert system.gift.listener_count(song) == 1
    # ...and the next listens use it: 6th listen 3 x 3 = 9; a 2nd new listener gets the bonus.
    stream(system, song, listener)
    assert cgc(system, listener) == 14 * ONE
    stream(system, song, listeners[0])
    assert cgc(system, listeners[0]) == 10 * ONE
    stream(system, song, listeners[1])  # 3rd unique listener, threshold 2
    assert cgc(system, listeners[1]) == 3 * ONE


def test_artist_may_configure_before_switching_to_gift(
    system: System, artist: str, listener: str
) -> None:
    sid = system.register("paid-then-free", "pay-per-stream-v1", artist)
    configure(system, sid, artist, (4 * ONE, 0, 0, 10_000))
    with boa.env.prank(artist):
        system.router.change_strategy(sid, strategy_id(GIFT))
    stream(system, sid, listener)
    assert cgc(system, listener) == 4 * ONE


def test_new_artist_configures_after_song_transfer(
    system: System, song: bytes, artist: str, producer: str
) -> None:
    system.transfer(song, artist, producer)
    with boa.env.prank(artist), boa.reverts("gift: caller is not the artist"):
        system.gift.configure(song, ONE, 0, 0, 10_000)
    configure(system, song, producer, (2 * ONE, 0, 0, 10_000))
    assert system.gift.config(song).cgc_per_listen == 2 * ONE


# ------------------------------------------------------ free listening


def test_free_listening_moves_no_flow(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    """testFreeListening / testGiftEconomyFreeListening: a STREAM is charged 0 and mints CGC."""
    configure(system, song, artist, (ONE, 5 * ONE, 100, 15_000))
    system.fund(listener)
    before = system.flow.balanceOf(listener), system.flow.balanceOf(system.router.address)
    # An offer above zero is still not charged: listening is free (a tip is a TIP).
    assert pay(system, song, listener, 5 * ONE, STREAM) == 0
    (payment,) = logs_named(system.router, "Payment")
    assert (payment.amount, payment.fee, payment.payment_type) == (0, 0, STREAM)
    assert (system.flow.balanceOf(listener), system.flow.balanceOf(system.router.address)) == before
    assert system.router.credits(artist) == 0
    assert cgc(system, listener) == 6 * ONE
    assert system.cgc.totalSupply() == 6 * ONE


def test_listener_without_flow_can_stream(system: System, song: bytes, stranger: str) -> None:
    assert system.flow.balanceOf(stranger) == 0
    assert stream(system, song, stranger) == 0
    assert cgc(system, stranger) == 11 * ONE


def test_early_listener_bonus(
    system: System, song: bytes, artist: str, listeners: list[str]
) -> None:
    """testEarlyListenerBonus: threshold 3 → listeners 1-3 get 11 CGC, the 4th gets 1."""
    configure(system, song, artist, (ONE, 10 * ONE, 3, 15_000))
    for i, who in enumerate(listeners[:4]):
        stream(system, song, who)
        assert system.gift.listener_count(song) == i + 1
    assert [cgc(system, who) for who in listeners[:4]] == [11 * ONE] * 3 + [ONE]
    assert [system.gift.profile(song, who).early for who in listeners[:4]] == [True] * 3 + [False]


def test_early_bonus_is_per_unique_listener(
    system: System, song: bytes, artist: str, listeners: list[str]
) -> None:
    """Reference bug §4.6/26: one listener cannot take several early slots by streaming again."""
    configure(system, song, artist, (ONE, 10 * ONE, 2, 10_000))
    hourly_streams(system, song, listeners[0], 3)
    assert system.gift.listener_count(song) == 1
    stream(system, song, listeners[1])
    assert cgc(system, listeners[1]) == 11 * ONE
    assert cgc(system, listeners[0]) == 13 * ONE


def test_threshold_zero_disables_early_bonus(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    configure(system, song, artist, (ONE, 10 * ONE, 0, 15_000))
    stream(system, song, listener)
    assert cgc(system, listener) == ONE
    assert system.gift.profile(song, listener).early is False
    (event,) = rewards(system)
    assert event.early is False


def test_repeat_multiplier_from_sixth_listen(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    """testRepeatListenerMultiplier: (1, 0, 1000, 20000) → 5 CGC after 5 streams, 7 after 6."""
    configure(system, song, artist, (ONE, 0, 1000, 20_000))
    for n in range(1, 6):
        stream(system, song, listener)
        (event,) = rewards(system)
        assert (event.amount, event.repeat, event.listens) == (ONE, False, n)
        later()
    assert cgc(system, listener) == 5 * ONE
    stream(system, song, listener)
    (event,) = rewards(system)
    assert (event.amount, event.repeat, event.listens) == (2 * ONE, True, 6)
    assert cgc(system, listener) == 7 * ONE


def test_combined_bonus_and_multiplier(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    """testCombinedBonusesAndMultipliers: (2, 8, 100, 30000) → 10 after 1, 18 after 5, 24 after 6"""
    configure(system, song, artist, (2 * ONE, 8 * ONE, 100, 30_000))
    totals = []
    for _ in range(6):
        stream(system, song, listener)
        totals.append(cgc(system, listener))
        later()
    assert totals[0] == 10 * ONE
    assert totals[4] == 18 * ONE
    assert totals[5] == 24 * ONE


def test_high_multiplier(system: System, song: bytes, artist: str, listener: str) -> None:
    """testHighMultiplier: (1, 0, 1000, 100000) → 15 CGC after 6 streams."""
    configure(system, song, artist, (ONE, 0, 1000, 100_000))
    hourly_streams(system, song, listener, 6)
    assert cgc(system, listener) == 15 * ONE


def test_multiplier_rounds_down(system: System, song: bytes, artist: str, listener: str) -> None:
    configure(system, song, artist, (3, 0, 0, 15_000))
    hourly_streams(system, song, listener, 6)
    assert cgc(system, listener) == 5 * 3 + 4  # floor(3 * 1.5) = 4


def test_zero_cgc_per_listen(system: System, song: bytes, artist: str, listener: str) -> None:
    """testZeroCGCPerListen: (0, 100, 10, 15000) → 100 CGC; later listens count but mint nothing."""
    configure(system, song, artist, (0, 100 * ONE, 10, 15_000))
    stream(system, song, listener)
    assert cgc(system, listener) == 100 * ONE
    later()
    stream(system, song, listener)
    (event,) = rewards(system)
    assert (event.amount, event.listens) == (0, 2)
    assert logs_named(system.router, "Transfer") == []  # nothing minted
    assert system.cgc.totalSupply() == 100 * ONE
    profile = system.gift.profile(song, listener)
    assert (profile.listens, profile.total_earned) == (2, 100 * ONE)


def test_zero_early_bonus(system: System, song: bytes, artist: str, listener: str) -> None:
    """testZeroEarlyBonus: (5, 0, 100, 15000) → 5 CGC; still flagged as an early listener."""
    configure(system, song, artist, (5 * ONE, 0, 100, 15_000))
    stream(system, song, listener)
    assert cgc(system, listener) == 5 * ONE
    assert system.gift.profile(song, listener).early is True


def test_nothing_to_mint_at_all(system: System, song: bytes, artist: str, listener: str) -> None:
    configure(system, song, artist, (0, 0, 0, 100_000))
    hourly_streams(system, song, listener, 7)
    assert system.cgc.totalSupply() == 0
    assert system.gift.profile(song, listener).listens == 7


def test_listener_profile(
    system: System, song: bytes, artist: str, listener: str, stranger: str
) -> None:
    """testGetListenerProfile: (1, 5, 100, 15000), 3 streams → (3, t > 0, 8 CGC, early)."""
    configure(system, song, artist, (ONE, 5 * ONE, 100, 15_000))
    hourly_streams(system, song, listener, 3)
    profile = system.gift.profile(song, listener)
    assert tuple(profile) == (3, boa.env.timestamp - HOUR, 8 * ONE, True)
    assert tuple(system.gift.profile(song, stranger)) == (0, 0, 0, False)


def test_profiles_across_listeners(
    system: System, song: bytes, artist: str, listeners: list[str]
) -> None:
    """testProfileAcrossMultipleListeners: (2, 10, 2, 20000) → 12, 12 (early) and 2 (not early)."""
    configure(system, song, artist, (2 * ONE, 10 * ONE, 2, 20_000))
    for who in listeners[:3]:
        stream(system, song, who)
    got = [
        (system.gift.profile(song, w).total_earned, system.gift.profile(song, w).early)
        for w in listeners[:3]
    ]
    assert got == [(12 * ONE, True), (12 * ONE, True), (2 * ONE, False)]


def test_many_listeners(system: System, song: bytes, artist: str, listeners: list[str]) -> None:
    """testManyListeners: (1, 10, 50, 15000), 100 listeners → #1-50 get 11 (early), others 1."""
    configure(system, song, artist, (ONE, 10 * ONE, 50, 15_000))
    for who in listeners[:100]:
        stream(system, song, who)
    for i, who in enumerate(listeners[:100]):
        early = i < 50
        assert cgc(system, who) == (11 if early else 1) * ONE
        assert system.gift.profile(song, who).early is early
    assert system.gift.listener_count(song) == 100
    assert system.cgc.totalSupply() == (50 * 11 + 50) * ONE


def test_reward_event_fields(system: System, song: bytes, listener: str) -> None:
    stream(system, song, listener)
    (event,) = rewards(system)
    assert event.song_id == song
    assert event.listener == listener
    assert (event.amount, event.early, event.repeat, event.listens, event.payment_type) == (
        11 * ONE,
        True,
        False,
        1,
        STREAM,
    )
    (mint,) = logs_named(system.router, "Transfer")
    assert (mint.sender, mint.receiver, mint.value) == (ZERO_ADDRESS, listener, 11 * ONE)


# ----------------------------------------------------------------- tips


def test_tip_via_router_pays_artist_and_rewards(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    """testTipWithCGCReward / testGiftEconomyTip: a 10 FLOW tip credits the artist 9.9 + CGC."""
    configure(system, song, artist, (ONE, 5 * ONE, 100, 15_000))
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    assert tip(system, song, listener, 10 * ONE) == 10 * ONE
    (event,) = rewards(system)  # read before any other router call replaces the last computation
    assert (event.amount, event.payment_type, event.listens) == (6 * ONE, TIP, 1)
    assert system.flow.balanceOf(listener) == before - 10 * ONE
    assert system.flow.balanceOf(system.router.address) == 10 * ONE
    assert system.router.credits(artist) == 9_900_000_000_000_000_000
    assert system.router.credits(system.treasury) == 100_000_000_000_000_000
    assert cgc(system, listener) == 6 * ONE
    with boa.env.prank(artist):
        assert system.router.withdraw() == 9_900_000_000_000_000_000
    assert system.flow.balanceOf(artist) == 9_900_000_000_000_000_000


def test_tip_follows_the_splits(
    system: System, song: bytes, artist: str, producer: str, listener: str
) -> None:
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist, producer], [7_000, 3_000], [0, 1])
    system.fund(listener)
    tip(system, song, listener, 100 * ONE)
    assert system.router.credits(artist) == 69_300_000_000_000_000_000
    assert system.router.credits(producer) == 29_700_000_000_000_000_000
    assert system.router.credits(system.treasury) == ONE


def test_multiple_tips(system: System, song: bytes, artist: str, listener: str) -> None:
    """testMultipleTips: (1, 0, 1000, 15000), tips of 1..5 FLOW → artist 14.85 FLOW, 5 CGC."""
    configure(system, song, artist, (ONE, 0, 1000, 15_000))
    system.fund(listener)
    for flow in range(1, 6):
        tip(system, song, listener, flow * ONE)
        later()
    assert system.router.credits(artist) == 14_850_000_000_000_000_000
    assert cgc(system, listener) == 5 * ONE
    assert system.gift.profile(song, listener).listens == 5


def test_tips_and_streams_share_one_listen_count(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    configure(system, song, artist, (ONE, 0, 0, 20_000))
    system.fund(listener)
    for i in range(6):
        if i % 2:
            tip(system, song, listener, 1)
        else:
            stream(system, song, listener)
        later()
    assert cgc(system, listener) == 7 * ONE  # the 6th (a tip) is multiplied


def test_smallest_tip(system: System, song: bytes, artist: str, listener: str) -> None:
    """A 1-unit tip is accepted (fee rounds to 0, the artist is credited 1) and rewards CGC."""
    system.fund(listener)
    assert tip(system, song, listener, 1) == 1
    assert system.router.credits(artist) == 1
    assert cgc(system, listener) == 11 * ONE


def test_zero_tip_reverts(system: System, song: bytes, listener: str) -> None:
    """testCannotTipZero: a TIP of 0 reverts and records nothing."""
    system.fund(listener)
    with boa.reverts("gift: zero tip"):
        tip(system, song, listener, 0)
    assert tuple(system.gift.profile(song, listener)) == (0, 0, 0, False)
    assert system.gift.listener_count(song) == 0
    assert system.cgc.totalSupply() == 0


@pytest.mark.parametrize("kind", [DOWNLOAD, PATRONAGE, ACCESS])
def test_unsupported_payment_types(system: System, song: bytes, listener: str, kind: int) -> None:
    """Reference bug §4.6/25: other types are not silently treated as tips."""
    system.fund(listener)
    with boa.reverts("gift: unsupported payment type"):
        pay(system, song, listener, ONE, kind)
    with boa.reverts("gift: unsupported payment type"):
        system.router.quote(song, listener, kind)
    with boa.reverts("gift: unsupported payment type"):
        system.gift.quote(song, listener, kind, 0)
    assert system.gift.profile(song, listener).listens == 0
    assert system.flow.balanceOf(system.router.address) == 0


def test_charge_is_router_only(system: System, song: bytes, listener: str, stranger: str) -> None:
    for kind in (STREAM, TIP, DOWNLOAD):
        with boa.env.prank(stranger), boa.reverts("gift: caller is not the router"):
            system.gift.charge(song, listener, ONE, kind, 0)
    assert system.gift.profile(song, listener).listens == 0
    assert system.cgc.totalSupply() == 0


def test_cgc_is_mintable_only_by_the_strategy(system: System, listener: str, owner: str) -> None:
    for who in (listener, owner, system.router.address):
        with boa.env.prank(who), boa.reverts("cgc: caller is not the minter"):
            system.cgc.mint(who, ONE)


# ---------------------------------------------------------- anti-farming


def test_anti_farming_hour_boundary(system: System, song: bytes, listener: str) -> None:
    """3599 s after a reward: the play succeeds but earns nothing; at 3600 s it earns again."""
    stream(system, song, listener)
    rewarded_at = boa.env.timestamp
    assert system.gift.next_reward_at(song, listener) == rewarded_at + 3600

    later(3599)
    assert system.gift.preview_reward(song, listener) == 0
    assert stream(system, song, listener) == 0
    assert rewards(system) == []
    assert len(logs_named(system.router, "Payment")) == 1  # the free play is still recorded
    profile = system.gift.profile(song, listener)
    assert (profile.listens, profile.last_reward_at, profile.total_earned) == (
        1,
        rewarded_at,
        11 * ONE,
    )

    later(1)
    assert system.gift.preview_reward(song, listener) == ONE
    stream(system, song, listener)
    (event,) = rewards(system)
    assert event.amount == ONE
    assert system.gift.profile(song, listener).listens == 2
    assert cgc(system, listener) == 12 * ONE


def test_throttled_tip_is_charged_without_reward(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    system.fund(listener)
    stream(system, song, listener)
    later(1800)
    assert tip(system, song, listener, 2 * ONE) == 2 * ONE
    assert rewards(system) == []
    assert system.router.credits(artist) == 1_980_000_000_000_000_000
    assert cgc(system, listener) == 11 * ONE


def test_throttled_listens_count_for_nothing(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    """Plays inside the hour neither advance the repeat multiplier nor the listener count."""
    configure(system, song, artist, (ONE, 0, 0, 20_000))
    for _ in range(5):
        for _ in range(10):
            stream(system, song, listener)
            later(300)
        later(HOUR)
    assert system.gift.profile(song, listener).listens == 5
    assert system.gift.listener_count(song) == 1
    assert cgc(system, listener) == 5 * ONE


def test_anti_farming_is_per_song_and_per_listener(
    system: System, song: bytes, artist: str, listener: str, stranger: str
) -> None:
    other = system.register("other-gift-song", GIFT, artist)
    stream(system, song, listener)
    stream(system, other, listener)
    stream(system, song, stranger)
    assert cgc(system, listener) == 22 * ONE
    assert cgc(system, stranger) == 11 * ONE


def test_batch_of_streams_rewards_once_per_song(
    system: System, song: bytes, artist: str, listener: str
) -> None:
    other = system.register("other-gift-song", GIFT, artist)
    with boa.env.prank(listener):
        assert system.router.pay_batch([(song, 0, STREAM, 0)] * 5 + [(other, 0, STREAM, 0)]) == 0
    assert len(rewards(system)) == 2
    assert len(logs_named(system.router, "Payment")) == 6
    assert cgc(system, listener) == 22 * ONE


def test_next_reward_and_preview(system: System, song: bytes, artist: str, listener: str) -> None:
    configure(system, song, artist, (ONE, 0, 0, 30_000))
    assert system.gift.next_reward_at(song, listener) == 0
    for _ in range(5):
        assert system.gift.preview_reward(song, listener) == ONE
        stream(system, song, listener)
        later()
    assert system.gift.preview_reward(song, listener) == 3 * ONE


# ------------------------------------------------ nobody earns from their own song


def record(system: System, sid: bytes, who: str) -> tuple:
    """Everything a listen that earns nothing must leave untouched."""
    return (
        tuple(system.gift.profile(sid, who)),
        system.gift.listener_count(sid),
        system.gift.minted_today(sid),
        cgc(system, who),
        system.cgc.totalSupply(),
    )


def test_artist_listening_to_their_own_song_earns_nothing(
    system: System, song: bytes, artist: str
) -> None:
    """The attack: the artist configures the maximum rewards and streams their own gift song."""
    configure(system, song, artist, (100 * ONE, 1_000 * ONE, 100, 100_000))
    assert system.gift.preview_reward(song, artist) == 0
    before = record(system, song, artist)
    assert stream(system, song, artist) == 0
    assert rewards(system) == []
    assert record(system, song, artist) == before == ((0, 0, 0, False), 0, 0, 0, 0)
    # A self-tip goes through as a payment (the artist pays the fee) but earns no CGC either.
    system.fund(artist)
    assert tip(system, song, artist, ONE) == ONE
    assert rewards(system) == []
    assert record(system, song, artist) == before
    assert system.router.credits(artist) == ONE - ONE // 100


def test_split_recipients_earn_nothing_from_the_song(
    system: System, artist: str, producer: str, engineer: str, listener: str
) -> None:
    """Every recipient of the splits, and the artist of record even when not among them."""
    sid = system.register("split gift song", GIFT, artist)
    with boa.env.prank(artist):
        system.router.configure_splits(sid, [producer, engineer], [6_000, 4_000], [1, 2])
    for who in (artist, producer, engineer):
        assert system.router.is_payee(sid, who)
        before = record(system, sid, who)
        assert stream(system, sid, who) == 0
        assert rewards(system) == []
        assert record(system, sid, who) == before
    assert not system.router.is_payee(sid, listener)
    stream(system, sid, listener)
    assert cgc(system, listener) == 11 * ONE
    # ...while a recipient of one song still earns from another artist's song.
    other = system.register("someone else's song", GIFT, listener)
    stream(system, other, producer)
    assert cgc(system, producer) == 11 * ONE


def test_a_batch_of_own_songs_mints_nothing(system: System, artist: str) -> None:
    """The attack: 128 self-registered songs streamed by their artist in one free batch."""
    songs = [system.register(f"own song {i}", GIFT, artist) for i in range(128)]
    for sid in songs[:2]:
        configure(system, sid, artist, (100 * ONE, 1_000 * ONE, 100, 100_000))
    with boa.env.prank(artist):
        assert system.router.pay_batch([(sid, 0, STREAM, 0) for sid in songs]) == 0
    assert rewards(system) == []
    assert len(logs_named(system.router, "Payment")) == 128
    assert system.cgc.totalSupply() == 0
    assert all(system.gift.listener_count(sid) == 0 for sid in songs)


def test_is_payee_of_an_unregistered_song(system: System, artist: str) -> None:
    assert system.router.is_payee(song_id_for(artist, "never registered"), artist) is False


# ------------------------------------------------------------ daily cap


def start_of_next_day() -> int:
    return (boa.env.timestamp // 86_400 + 1) * 86_400


def test_daily_cap_is_reached_exactly_and_restored_the_next_day(
    system: System, song: bytes, artist: str, listeners: list[str]
) -> None:
    """100 CGC a listen, a 50 CGC bonus for the first listener: 150 + 98 x 100 = 9,950 CGC, so
    the 100th listener gets the 50 left, the 101st nothing (and nothing is recorded), and the
    first listen of the next UTC day is rewarded in full."""
    later(start_of_next_day() - boa.env.timestamp)  # a whole day ahead
    configure(system, song, artist, (100 * ONE, 50 * ONE, 1, 10_000))
    for who in listeners[:99]:
        stream(system, song, who)
    assert system.gift.minted_today(song) == 9_950 * ONE
    assert system.gift.preview_reward(song, listeners[99]) == 50 * ONE
    stream(system, song, listeners[99])
    (event,) = rewards(system)
    assert (event.listener, event.amount) == (listeners[99], 50 * ONE)
    assert system.gift.minted_today(song) == system.gift.DAILY_CGC_CAP()
    assert system.cgc.totalSupply() == 10_000 * ONE

    late = listeners[100]
    assert system.gift.preview_reward(song, late) == 0
    before = record(system, song, late)
    later(start_of_next_day() - boa.env.timestamp - 1)  # the day's last second
    assert stream(system, song, late) == 0
    assert rewards(system) == []
    assert record(system, song, late) == before
    later(1)  # the next day
    assert system.gift.minted_today(song) == 0
    assert system.gift.preview_reward(song, late) == 100 * ONE
    stream(system, song, late)
    assert cgc(system, late) == 100 * ONE
    assert system.gift.listener_count(song) == 101
    assert system.gift.minted_today(song) == 100 * ONE


def test_tips_count_against_the_daily_cap(
    system: System, song: bytes, artist: str, listeners: list[str]
) -> None:
    later(start_of_next_day() - boa.env.timestamp)
    configure(system, song, artist, (100 * ONE, 0, 0, 10_000))
    for who in listeners[:100]:
        stream(system, song, who)
    tipper = listeners[100]
    system.fund(tipper)
    assert tip(system, song, tipper, ONE) == ONE  # the tip is paid; it just earns no CGC
    assert rewards(system) == []
    assert cgc(system, tipper) == 0
    assert system.router.credits(artist) == ONE - ONE // 100


def test_the_cap_counts_rewards_rounded_up_to_a_cap_unit(
    system: System, song: bytes, artist: str, listeners: list[str]
) -> None:
    configure(system, song, artist, (3, 0, 0, 10_000))
    stream(system, song, listeners[0])
    assert cgc(system, listeners[0]) == 3
    assert system.gift.minted_today(song) == 10**9


# ---------------------------------------------------------- views, splits


def test_quote_and_authorization(system: System, song: bytes, listener: str, stranger: str) -> None:
    assert system.gift.quote(song, listener, STREAM, 0) == 0
    assert system.gift.quote(song, listener, TIP, 0) == 1
    assert system.router.quote(song, listener, STREAM) == 0
    assert system.router.quote(song, listener, TIP) == 1
    assert system.gift.is_authorized(song, stranger) is True
    assert system.router.is_authorized(song, stranger) is True


def test_tips_use_router_splits(system: System, song: bytes, artist: str) -> None:
    """testCalculateSplits / testCannotCalculateSplitsWithoutConfiguration: splits live in the
    router; an unconfigured gift song pays 100 % to its artist."""
    ((recipient, bps, role),) = system.router.splits(song)
    assert (recipient, bps, role) == (artist, 10_000, 0)


def test_option_is_ignored(system: System, song: bytes, listener: str) -> None:
    with boa.env.prank(listener):
        assert system.router.pay(song, 0, STREAM, 7) == 0
    assert cgc(system, listener) == 11 * ONE


# ------------------------------------------------------------------ gas


def test_gas_of_a_gift_tip(owner: str, treasury: str) -> None:
    """A repeat listener's tip through the router, with cold storage as on a real chain: the whole
    transaction ≤ 100,000 gas and the strategy's `charge` (incl. the CGC mint) ≤ 36,000 (the
    payee check and the write of the song's daily tally cost ~6,000 of it here)."""
    with boa.swap_env(boa.Env()):
        system = build_system(owner, treasury)
        artist = boa.env.generate_address("artist")
        listener = boa.env.generate_address("listener")
        sid = system.register("gas-song", GIFT, artist)
        system.fund(listener)
        tip(system, sid, listener, ONE)  # first listen and first credits
        later()
        tip(system, sid, listener, ONE)
        later()
        boa.env.evm.vm.state._account_db.lock_changes()  # commit: next tx sees cold, original slots

        calldata = system.router.pay.prepare_calldata(sid, ONE, TIP)
        intrinsic = 21_000 + sum(16 if b else 4 for b in calldata)
        tip(system, sid, listener, ONE)
        total = system.router._computation.get_gas_used() + intrinsic
        (child,) = [
            c
            for c in system.router._computation.children
            if c.msg.storage_address == bytes.fromhex(system.gift.address[2:])
        ]
        charge_gas = child.get_gas_used()
        assert len(rewards(system)) == 1
    print(f"gift tip: {total} gas in total, {charge_gas} in charge")
    assert total <= 100_000
    assert charge_gas <= 36_000


# ----------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    cgc_per_listen=st.integers(min_value=10**16, max_value=100 * ONE),
    bonus=st.integers(min_value=0, max_value=1000 * ONE),
    threshold=st.integers(min_value=1, max_value=10_000),
    mult=st.integers(min_value=10_000, max_value=100_000),
)
def test_fuzz_config_rewards(
    system: System,
    artist: str,
    listener: str,
    cgc_per_listen: int,
    bonus: int,
    threshold: int,
    mult: int,
) -> None:
    """testFuzzCGCRewards, made exact: 10 hourly streams earn exactly what the rule says."""
    cfg = (cgc_per_listen, bonus, threshold, mult)
    sid = system.register("fuzz-song", GIFT, artist)
    configure(system, sid, artist, cfg)
    hourly_streams(system, sid, listener, 10)
    expected = sum(expected_rewards(cfg, 10))
    assert expected > 0
    assert cgc(system, listener) == expected
    assert system.gift.profile(sid, listener).total_earned == expected


_op = st.tuples(
    st.integers(min_value=0, max_value=2),  # listener
    st.integers(min_value=0, max_value=1),  # song
    st.sampled_from([STREAM, TIP]),
    st.integers(min_value=1, max_value=5 * ONE),  # tip amount
    st.sampled_from([0, 1, 600, 3599, 3600, 3601, 86_400]),  # seconds before the op
)
_config = st.one_of(
    st.none(),
    st.tuples(
        st.integers(min_value=0, max_value=10 * ONE),
        st.integers(min_value=0, max_value=10 * ONE),
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=10_000, max_value=100_000),
    ),
)


@settings(max_examples=40, deadline=None)
@given(config=_config, ops=st.lists(_op, min_size=1, max_size=30))
def test_property_cgc_matches_rule_and_streams_move_no_flow(
    system: System, artist: str, listeners: list[str], config, ops
) -> None:
    """Over random streams/tips/delays: every reward equals a Python model of the rule; total CGC
    minted == the sum of reward events == the sum of profiles == each listener's balance; a STREAM
    never moves FLOW and a TIP moves exactly its amount into the router."""
    cfg = DEFAULTS if config is None else config
    people = listeners[:3]
    songs = [system.register(f"prop-song-{i}", GIFT, artist) for i in range(2)]
    if config is not None:
        for sid in songs:
            configure(system, sid, artist, config)
    for who in people:
        system.fund(who)
    model: dict[tuple[int, int], dict] = {}
    listener_counts = [0, 0]
    event_total = 0
    tips_total = 0
    for who_i, song_i, kind, amount, delay in ops:
        if delay:
            later(delay)
        who, sid = people[who_i], songs[song_i]
        flow_before = system.flow.balanceOf(who)
        offer = amount if kind == TIP else 0
        assert pay(system, sid, who, offer, kind) == offer
        assert system.flow.balanceOf(who) == flow_before - offer
        tips_total += offer

        state = model.setdefault(
            (who_i, song_i), {"listens": 0, "last": 0, "total": 0, "early": False}
        )
        now = boa.env.timestamp
        events = rewards(system)
        if state["listens"] and now < state["last"] + HOUR:
            assert events == []
            continue
        base, bonus, threshold, mult = cfg
        reward = base
        early = state["listens"] == 0 and listener_counts[song_i] < threshold
        if early:
            reward += bonus
            state["early"] = True
        if state["listens"] == 0:
            listener_counts[song_i] += 1
        repeat = state["listens"] >= 5
        if repeat:
            reward = reward * mult // 10_000
        state["listens"] += 1
        state["last"] = now
        state["total"] += reward
        (event,) = events
        assert (
            event.listener,
            event.song_id,
            event.amount,
            event.early,
            event.repeat,
            event.listens,
        ) == (
            who,
            sid,
            reward,
            early,
            repeat,
            state["listens"],
        )
        event_total += event.amount

    assert system.cgc.totalSupply() == event_total
    assert sum(s["total"] for s in model.values()) == event_total
    for (who_i, song_i), s in model.items():
        profile = system.gift.profile(songs[song_i], people[who_i])
        assert tuple(profile) == (s["listens"], s["last"], s["total"], s["early"])
    for who_i, who in enumerate(people):
        assert cgc(system, who) == sum(s["total"] for (w, _), s in model.items() if w == who_i)
    assert [system.gift.listener_count(sid) for sid in songs] == listener_counts
    assert system.flow.balanceOf(system.router.address) == tips_total

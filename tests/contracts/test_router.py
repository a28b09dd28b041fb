"""The router: strategy registry, songs, splits, payments, fees, credits, pause and ownership."""

from __future__ import annotations

from pathlib import Path

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelix.chain.units import ONE, PaymentType
from mycelix.strategies.ids import strategy_id

from .conftest import NO_SPLITS, System, load, salt, song_id_for

UNREGISTERED = salt("never registered")  # any id nobody derived

PPS = "pay-per-stream-v1"
PRICE = 10**16
FIXTURES = Path(__file__).parent / "fixtures"


def router_state(system: System, *accounts: str) -> tuple:
    """Everything a failed call must leave untouched."""
    r = system.router
    return (
        system.flow.balanceOf(r.address),
        tuple(r.credits(a) for a in accounts),
        tuple(system.flow.balanceOf(a) for a in accounts),
        r.fee_bps(),
        r.treasury(),
        r.paused(),
    )


@pytest.fixture
def song(system: System, artist: str) -> bytes:
    return system.register("first single", PPS, artist)


# ------------------------------------------------------------- registry


def test_owner_registers_a_strategy(system: System, owner: str) -> None:
    other = load("PayPerStream", system.router.address)
    sid = strategy_id("pay-per-stream-v2")
    with boa.env.prank(owner):
        system.router.register_strategy(sid, other.address)
    logs = system.router.get_logs()
    assert system.router.strategies(sid) == other.address
    assert system.router.strategy_id_of(other.address) == sid
    assert system.router.strategy_enabled(sid)
    assert type(logs[0]).__name__ == "StrategyRegistered"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("stranger", "router: caller is not the owner"),
        ("empty id", "router: empty strategy id"),
        ("not a contract", "router: strategy is not a contract"),
        ("id taken", "router: strategy id taken"),
        ("address registered", "router: strategy already registered"),
    ],
)
def test_register_strategy_rejects_bad_input(
    system: System, owner: str, stranger: str, case: str, reason: str
) -> None:
    fresh = load("PayPerStream", system.router.address).address
    args = {
        "stranger": (stranger, strategy_id("x"), fresh),
        "empty id": (owner, b"\x00" * 32, fresh),
        "not a contract": (owner, strategy_id("x"), stranger),
        "id taken": (owner, strategy_id(PPS), fresh),
        "address registered": (owner, strategy_id("x"), system.pps.address),
    }[case]
    with boa.env.prank(args[0]), boa.reverts(reason):
        system.router.register_strategy(args[1], args[2])
    assert system.router.strategies(strategy_id("x")) == "0x" + "00" * 20


def test_disabled_strategy_closes_to_new_songs_but_old_songs_keep_working(
    system: System, owner: str, artist: str, listener: str, song: bytes
) -> None:
    with boa.env.prank(owner):
        system.router.set_strategy_enabled(strategy_id(PPS), False)
    with boa.env.prank(artist), boa.reverts("router: strategy disabled"):
        system.router.register_song(salt("second single"), strategy_id(PPS))
    system.fund(listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, PRICE, PaymentType.STREAM) == PRICE
    with boa.env.prank(owner):
        system.router.set_strategy_enabled(strategy_id(PPS), True)
    system.register("second single", PPS, artist)


def test_only_owner_toggles_strategies(system: System, owner: str, stranger: str) -> None:
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.set_strategy_enabled(strategy_id(PPS), False)
    with boa.env.prank(owner), boa.reverts("router: unknown strategy"):
        system.router.set_strategy_enabled(strategy_id("nope"), False)
    assert system.router.strategy_enabled(strategy_id(PPS))


# ---------------------------------------------------------------- songs


def test_artist_registers_a_song(system: System, artist: str) -> None:
    with boa.env.prank(artist):
        sid = system.router.register_song(salt("first single"), strategy_id(PPS))
    (log,) = system.router.get_logs()
    assert sid == song_id_for(artist, "first single")
    assert sid == system.router.song_id_of(artist, salt("first single"))
    assert system.router.song_artist(sid) == artist
    assert system.router.song_strategy(sid) == system.pps.address
    assert system.router.song_strategy_id(sid) == strategy_id(PPS)
    assert type(log).__name__ == "SongRegistered"
    assert (log.song_id, log.strategy_id, log.artist, log.salt) == (
        sid,
        strategy_id(PPS),
        artist,
        salt("first single"),
    )


@pytest.mark.parametrize(
    ("salt_", "strategy", "reason"),
    [
        (b"\x00" * 32, PPS, "router: empty salt"),
        (salt("first single"), PPS, "router: song already registered"),
        (salt("other"), "no-such-strategy", "router: unknown strategy"),
    ],
)
def test_register_song_rejects_bad_input(
    system: System, artist: str, salt_: bytes, strategy: str, reason: str
) -> None:
    system.register("first single", PPS, artist)
    with boa.env.prank(artist), boa.reverts(reason):
        system.router.register_song(salt_, strategy_id(strategy))
    assert system.router.song_artist(song_id_for(artist, "other")) == "0x" + "00" * 20
    assert system.router.song_artist(system.router.song_id_of(artist, b"\x00" * 32)) == (
        "0x" + "00" * 20
    )


def test_artist_changes_strategy(system: System, artist: str, stranger: str, song: bytes) -> None:
    gift = strategy_id("gift-economy-v1")
    with boa.env.prank(stranger), boa.reverts("router: caller is not the artist"):
        system.router.change_strategy(song, gift)
    with boa.env.prank(artist), boa.reverts("router: song not registered"):
        system.router.change_strategy(UNREGISTERED, gift)
    with boa.env.prank(artist), boa.reverts("router: unknown strategy"):
        system.router.change_strategy(song, strategy_id("nope"))
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist], [10_000], [0])
        system.router.change_strategy(song, gift)
    assert system.router.song_strategy(song) == system.gift.address
    assert len(system.router.splits(song)) == 1


def test_accepted_transfer_moves_unsplit_income_to_the_new_artist(
    system: System, artist: str, producer: str, listener: str, song: bytes
) -> None:
    with boa.env.prank(artist):
        system.router.offer_song(song, producer)
    with boa.env.prank(producer):
        system.router.accept_song(song, NO_SPLITS)
    (log,) = system.router.get_logs()
    assert (type(log).__name__, log.previous_artist, log.artist) == (
        "SongTransferred",
        artist,
        producer,
    )
    assert system.router.song_artist(song) == producer
    assert system.router.pending_artist(song) == "0x" + "00" * 20
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    assert system.router.credits(producer) == PRICE * 99 // 100
    assert system.router.credits(artist) == 0


def test_transfer_keeps_configured_splits(
    system: System, artist: str, producer: str, listener: str, song: bytes
) -> None:
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist, producer], [5_000, 5_000], [0, 2])
    system.transfer(song, artist, producer)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    net = PRICE * 99 // 100
    assert system.router.credits(artist) == net // 2
    assert system.router.credits(producer) == net // 2


# --------------------------------------------------------------- splits


def test_configure_splits_and_read_them_back(
    system: System, artist: str, producer: str, engineer: str, song: bytes
) -> None:
    assert system.router.splits(song) == [(artist, 10_000, 0)]
    with boa.env.prank(artist):
        system.router.configure_splits(
            song, [artist, producer, engineer], [6_000, 3_000, 1_000], [0, 2, 4]
        )
    (log,) = system.router.get_logs()
    assert system.router.splits(song) == [
        (artist, 6_000, 0),
        (producer, 3_000, 2),
        (engineer, 1_000, 4),
    ]
    assert type(log).__name__ == "SplitsConfigured"
    assert log.song_id == song
    assert (log.recipients, log.bps, log.roles) == (
        [artist, producer, engineer],
        [6_000, 3_000, 1_000],
        [0, 2, 4],
    )


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 33, 64])
def test_splits_read_back_and_pay_whatever_their_count(
    system: System, artist: str, listener: str, song: bytes, n: int
) -> None:
    # The first recipient's address moves into slots 1 and 2 from 3 recipients on, and roles
    # sit 32 to a slot: every view and the payment agree on each side of those lines.
    recipients = [boa.env.generate_address(f"split member {i}") for i in range(n)]
    bps = [10_000 // n] * (n - 1) + [10_000 - 10_000 // n * (n - 1)]
    roles = [(7 * i + 3) % 256 for i in range(n)]
    with boa.env.prank(artist):
        system.router.configure_splits(song, recipients, bps, roles)
    assert system.router.splits(song) == list(zip(recipients, bps, roles, strict=True))
    assert all(system.router.is_payee(song, r) for r in recipients)
    assert system.router.is_payee(song, artist)
    assert not system.router.is_payee(song, listener)
    assert not system.router.is_payee(song, "0x" + "00" * 20)
    fee, shares = system.router.preview_distribution(song, PRICE)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    assert [(r, system.router.credits(r)) for r in recipients] == shares
    assert fee + sum(a for _, a in shares) == PRICE


def test_sixty_four_recipients_is_the_limit(
    system: System, artist: str, listener: str, song: bytes
) -> None:
    recipients = [boa.env.generate_address(f"member{i}") for i in range(64)]
    bps = [156] * 63 + [10_000 - 156 * 63]
    with boa.env.prank(artist):
        system.router.configure_splits(song, recipients, bps, [7] * 64)
    system.fund(listener)
    with boa.env.prank(artist):
        system.pps.set_price(song, 100 * ONE)
    with boa.env.prank(listener):
        system.router.pay(song, 100 * ONE, PaymentType.STREAM)
    credited = [system.router.credits(r) for r in recipients]
    assert all(c > 0 for c in credited)
    assert sum(credited) == 99 * ONE


@pytest.mark.parametrize(
    ("recipients", "bps", "roles", "reason"),
    [
        ([], [], [], "router: no recipients"),
        (["artist", "producer"], [5_000], [0, 2], "router: array lengths differ"),
        (["artist", "producer"], [5_000, 5_000], [0], "router: array lengths differ"),
        (["artist", "zero"], [5_000, 5_000], [0, 2], "router: zero recipient"),
        (["artist", "producer"], [10_000, 0], [0, 2], "router: zero share"),
        (["artist", "producer"], [6_000, 5_000], [0, 2], "router: shares must sum to 10000"),
        (["artist", "producer"], [6_000, 3_000], [0, 2], "router: shares must sum to 10000"),
    ],
)
def test_configure_splits_rejects_bad_input(
    system: System, artist: str, producer: str, song: bytes, recipients, bps, roles, reason
) -> None:
    names = {"artist": artist, "producer": producer, "zero": "0x" + "00" * 20}
    with boa.env.prank(artist), boa.reverts(reason):
        system.router.configure_splits(song, [names[r] for r in recipients], bps, roles)
    assert system.router.splits(song) == [(artist, 10_000, 0)]


def test_only_the_artist_configures_splits_and_only_once(
    system: System, artist: str, producer: str, stranger: str, song: bytes
) -> None:
    with boa.env.prank(stranger), boa.reverts("router: caller is not the artist"):
        system.router.configure_splits(song, [stranger], [10_000], [0])
    with boa.env.prank(artist), boa.reverts("router: song not registered"):
        system.router.configure_splits(UNREGISTERED, [artist], [10_000], [0])
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist, producer], [7_000, 3_000], [0, 2])
    with boa.env.prank(artist), boa.reverts("router: splits already configured"):
        system.router.configure_splits(song, [artist], [10_000], [0])
    assert system.router.splits(song) == [(artist, 7_000, 0), (producer, 3_000, 2)]


# ------------------------------------------------------------- payments


def test_stream_at_the_default_price_pays_artist_and_treasury(
    system: System, artist: str, listener: str, treasury: str, song: bytes
) -> None:
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    with boa.env.prank(listener):
        charged = system.router.pay(song, PRICE, PaymentType.STREAM)
    logs = system.router.get_logs()
    assert charged == PRICE
    assert system.flow.balanceOf(listener) == before - PRICE
    assert system.router.credits(artist) == 99 * 10**14  # 0.0099 FLOW
    assert system.router.credits(treasury) == 10**14  # 0.0001 FLOW
    (log,) = [e for e in logs if type(e).__name__ == "Payment"]
    assert (log.song_id, log.payer, log.strategy) == (song, listener, system.pps.address)
    assert (log.payment_type, log.amount, log.fee) == (PaymentType.STREAM, PRICE, 10**14)


def test_even_split_of_one_flow(
    system: System, artist: str, producer: str, listener: str, song: bytes
) -> None:
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist, producer], [5_000, 5_000], [0, 1])
        system.pps.set_price(song, ONE)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, ONE, PaymentType.STREAM)
    assert system.router.credits(artist) == 495 * 10**15
    assert system.router.credits(producer) == 495 * 10**15


def test_rounding_dust_goes_to_the_first_recipient(
    system: System, artist: str, producer: str, engineer: str, listener: str, song: bytes
) -> None:
    gross = PRICE + 1  # fee 1e14, net 9_900_000_000_000_001 leaves one unit of dust
    with boa.env.prank(artist):
        system.router.configure_splits(
            song, [artist, producer, engineer], [3_333, 3_333, 3_334], [0, 1, 2]
        )
        system.pps.set_price(song, gross)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, gross, PaymentType.STREAM)
    net = gross - gross // 100
    assert system.router.credits(producer) == net * 3_333 // 10_000
    assert system.router.credits(engineer) == net * 3_334 // 10_000
    assert system.router.credits(artist) == net - net * 3_333 // 10_000 - net * 3_334 // 10_000
    assert sum(system.router.credits(a) for a in (artist, producer, engineer)) == net
    fee, shares = system.router.preview_distribution(song, gross)
    assert fee == gross // 100
    assert [s[1] for s in shares] == [
        system.router.credits(a) for a in (artist, producer, engineer)
    ]


@given(amount=st.integers(min_value=1, max_value=10**27), fee=st.integers(0, 500))
@settings(max_examples=60, deadline=None)
def test_every_distribution_sums_to_its_net(
    system: System,
    owner: str,
    artist: str,
    producer: str,
    engineer: str,
    listener: str,
    amount: int,
    fee: int,
) -> None:
    song = system.register("fuzzed", PPS, artist)
    with boa.env.prank(owner):
        system.router.set_fee(fee)
    with boa.env.prank(artist):
        system.router.configure_splits(
            song, [artist, producer, engineer], [1, 4_999, 5_000], [0, 1, 2]
        )
        system.pps.set_price(song, amount)
    system.fund(listener, amount)
    with boa.env.prank(listener):
        system.router.pay(song, amount, PaymentType.STREAM)
    credited = sum(system.router.credits(a) for a in (artist, producer, engineer))
    assert credited == amount - amount * fee // 10_000
    assert system.router.credits(system.treasury) == amount * fee // 10_000
    assert system.flow.balanceOf(system.router.address) == credited + amount * fee // 10_000


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unregistered", "router: song not registered"),
        ("payment type", "router: unknown payment type"),
        ("below price", "pps: payment below price"),
        ("no allowance", "erc20: insufficient allowance"),
        ("paused", "router: paused"),
    ],
)
def test_bad_payments_revert_and_change_nothing(
    system: System,
    owner: str,
    artist: str,
    listener: str,
    treasury: str,
    song: bytes,
    case: str,
    reason: str,
) -> None:
    system.fund(listener)
    target, amount, ptype = song, PRICE, PaymentType.STREAM
    if case == "unregistered":
        target = UNREGISTERED
    elif case == "payment type":
        ptype = 5
    elif case == "below price":
        amount = PRICE - 1
    elif case == "no allowance":
        with boa.env.prank(listener):
            system.flow.approve(system.router.address, 0)
    elif case == "paused":
        with boa.env.prank(owner):
            system.router.pause()
    before = router_state(system, artist, listener, treasury)
    with boa.env.prank(listener), boa.reverts(reason):
        system.router.pay(target, amount, ptype)
    assert router_state(system, artist, listener, treasury) == before


def test_router_never_charges_more_than_offered(
    system: System, owner: str, artist: str, listener: str
) -> None:
    rogue = boa.load(str(FIXTURES / "Overcharger.vy"))
    with boa.env.prank(owner):
        system.router.register_strategy(strategy_id("rogue"), rogue.address)
    sid = system.register("victim", "rogue", artist)
    system.fund(listener)
    with boa.env.prank(listener), boa.reverts("router: charge exceeds offer"):
        system.router.pay(sid, PRICE, PaymentType.STREAM)
    assert system.flow.balanceOf(system.router.address) == 0


def test_tip_above_the_price_is_a_separate_payment(
    system: System, artist: str, listener: str, song: bytes
) -> None:
    system.fund(listener)
    with boa.env.prank(listener):
        assert system.router.pay(song, 5 * PRICE, PaymentType.STREAM) == PRICE
        assert system.router.pay(song, 5 * ONE, PaymentType.TIP) == 5 * ONE
    assert system.router.credits(artist) == (PRICE + 5 * ONE) * 99 // 100


def test_batch_pays_each_song_with_one_pull(
    system: System, artist: str, producer: str, listener: str, treasury: str
) -> None:
    songs = [system.register(f"album track {i}", PPS, artist) for i in range(5)]
    with boa.env.prank(artist):
        system.router.configure_splits(songs[0], [artist, producer], [8_000, 2_000], [0, 2])
    system.fund(listener)
    before = system.flow.balanceOf(listener)
    with boa.env.prank(listener):
        total = system.router.pay_batch([(s, PRICE, PaymentType.STREAM, 0) for s in songs])
    transfers = [e for e in system.router.get_logs() if type(e).__name__ == "Transfer"]
    assert total == 5 * PRICE
    assert system.flow.balanceOf(listener) == before - 5 * PRICE
    assert len(transfers) == 1
    assert system.router.credits(treasury) == 5 * PRICE // 100
    assert system.router.credits(artist) + system.router.credits(producer) == 5 * PRICE * 99 // 100


def test_batch_is_all_or_nothing(system: System, artist: str, listener: str, treasury: str) -> None:
    good = system.register("good", PPS, artist)
    system.fund(listener)
    before = router_state(system, artist, listener, treasury)
    with boa.env.prank(listener), boa.reverts("router: song not registered"):
        system.router.pay_batch([(good, PRICE, 0, 0), (UNREGISTERED, PRICE, 0, 0)])
    with boa.env.prank(listener), boa.reverts("router: empty batch"):
        system.router.pay_batch([])
    assert router_state(system, artist, listener, treasury) == before


# ------------------------------------------------------ fees and credits


def test_protocol_fee_is_collected_and_bounded(
    system: System,
    owner: str,
    stranger: str,
    artist: str,
    listener: str,
    treasury: str,
    song: bytes,
) -> None:
    with boa.env.prank(artist):
        system.pps.set_price(song, 100 * ONE)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, 100 * ONE, PaymentType.STREAM)
    assert system.router.credits(treasury) == ONE
    with boa.env.prank(owner):
        system.router.set_fee(200)
    assert system.router.fee_bps() == 200
    with boa.env.prank(owner), boa.reverts("router: fee above maximum"):
        system.router.set_fee(501)
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.set_fee(0)
    with boa.env.prank(owner):
        system.router.set_fee(500)
    assert system.router.fee_bps() == 500
    assert system.router.treasury() == treasury


def test_zero_fee_credits_everything_to_the_splits(
    system: System, owner: str, artist: str, listener: str, treasury: str, song: bytes
) -> None:
    with boa.env.prank(owner):
        system.router.set_fee(0)
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    assert system.router.credits(artist) == PRICE
    assert system.router.credits(treasury) == 0


def test_new_treasury_gets_future_fees_only(
    system: System, owner: str, stranger: str, listener: str, treasury: str, song: bytes
) -> None:
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    new_treasury = boa.env.generate_address("new treasury")
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.set_treasury(new_treasury)
    with boa.env.prank(owner), boa.reverts("router: zero treasury"):
        system.router.set_treasury("0x" + "00" * 20)
    with boa.env.prank(owner):
        system.router.set_treasury(new_treasury)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    assert system.router.credits(treasury) == PRICE // 100
    assert system.router.credits(new_treasury) == PRICE // 100
    assert system.router.fee_bps() == 100


def test_treasury_fees_accrue_and_are_withdrawn_with_its_credits(
    system: System, owner: str, artist: str, listener: str, treasury: str, song: bytes
) -> None:
    # Fees accrue in the router's config slot, not the treasury's credit: `credits` and
    # `withdraw` count them, and the settings sharing the slot do not disturb them.
    system.fund(listener)
    fee = PRICE // 100
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
        system.router.pay(song, PRICE, PaymentType.STREAM)
    assert system.router.credits(treasury) == 2 * fee
    with boa.env.prank(owner):
        system.router.pause()
        system.router.unpause()
        system.router.set_fee(200)
    assert system.router.credits(treasury) == 2 * fee
    assert (system.router.fee_bps(), system.router.treasury(), system.router.paused()) == (
        200,
        treasury,
        False,
    )
    with boa.env.prank(owner):
        system.router.set_fee(100)
    # A fee that would overflow the slot's 79 bits of accrued fees goes into the credit.
    big = 10**8 * ONE
    assert big // 100 >= 2**79
    system.fund(listener, big)
    with boa.env.prank(listener):
        system.router.pay(song, big, PaymentType.TIP)
        system.router.pay(song, PRICE, PaymentType.STREAM)
    owed = 3 * fee + big // 100
    assert system.router.credits(treasury) == owed
    with boa.env.prank(treasury):
        assert system.router.withdraw() == owed
    assert system.flow.balanceOf(treasury) == owed
    assert system.router.credits(treasury) == 0
    assert system.flow.balanceOf(system.router.address) == system.router.credits(artist)
    with boa.env.prank(treasury), boa.reverts("router: nothing to withdraw"):
        system.router.withdraw()


def test_recipients_withdraw_their_credits_even_while_paused(
    system: System, owner: str, artist: str, listener: str, treasury: str, song: bytes
) -> None:
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    with boa.env.prank(owner):
        system.router.pause()
    with boa.env.prank(artist):
        assert system.router.withdraw() == PRICE * 99 // 100
    with boa.env.prank(treasury):
        system.router.withdraw()
    assert system.flow.balanceOf(artist) == PRICE * 99 // 100
    assert system.flow.balanceOf(system.router.address) == 0
    assert system.router.credits(artist) == 0
    with boa.env.prank(artist), boa.reverts("router: nothing to withdraw"):
        system.router.withdraw()


def test_pause_is_owner_only_and_toggles(system: System, owner: str, stranger: str) -> None:
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.pause()
    with boa.env.prank(owner), boa.reverts("router: not paused"):
        system.router.unpause()
    with boa.env.prank(owner):
        system.router.pause()
    with boa.env.prank(owner), boa.reverts("router: already paused"):
        system.router.pause()
    with boa.env.prank(stranger), boa.reverts("router: caller is not the owner"):
        system.router.unpause()
    with boa.env.prank(owner):
        system.router.unpause()
    assert not system.router.paused()


def test_ownership_moves_in_two_steps(system: System, owner: str, stranger: str) -> None:
    successor = boa.env.generate_address("successor")
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        system.router.transfer_ownership(stranger)
    with boa.env.prank(owner):
        system.router.transfer_ownership(successor)
    assert system.router.owner() == owner
    assert system.router.pending_owner() == successor
    with boa.env.prank(stranger), boa.reverts("ownable_2step: caller is not the new owner"):
        system.router.accept_ownership()
    with boa.env.prank(successor):
        system.router.accept_ownership()
    assert system.router.owner() == successor
    with boa.env.prank(owner), boa.reverts("router: caller is not the owner"):
        system.router.set_fee(0)
    assert not hasattr(system.router, "renounce_ownership")


def test_views_for_unregistered_songs(system: System, listener: str) -> None:
    unknown = UNREGISTERED
    assert not system.router.is_authorized(unknown, listener)
    assert system.router.song_strategy(unknown) == "0x" + "00" * 20
    with boa.reverts("router: song not registered"):
        system.router.splits(unknown)
    with boa.reverts("router: song not registered"):
        system.router.preview_distribution(unknown, ONE)
    with boa.reverts("router: song not registered"):
        system.router.quote(unknown, listener, PaymentType.STREAM)


def test_constructor_rejects_bad_addresses(system: System, owner: str) -> None:
    with boa.reverts("router: zero treasury"):
        load("EconomicStrategyRouter", system.flow.address, "0x" + "00" * 20)
    with boa.reverts("router: token is not a contract"):
        load("EconomicStrategyRouter", owner, owner)


def test_batch_carries_each_payments_option(system: System, artist: str, listener: str) -> None:
    with boa.env.prank(artist):
        system.patronage.configure(["fan", "inner circle"], [ONE, 5 * ONE], [False, True], [], 0)
    channel = system.register("patron channel", "patronage-v1", artist)
    track = system.register("single", PPS, artist)
    system.fund(listener)
    with boa.env.prank(listener):
        total = system.router.pay_batch(
            [(channel, 5 * ONE, PaymentType.PATRONAGE, 1), (track, PRICE, PaymentType.STREAM, 0)]
        )
    assert total == 5 * ONE + PRICE
    assert system.patronage.patron(artist, listener).tier == 1

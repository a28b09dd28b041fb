"""Signed play vouchers settled in batches: each good voucher settles once, divided exactly as a
direct payment; every bad one (forged, replayed, expired, over balance, wrong chain or router,
unknown song, refused by the strategy) is skipped with its reason and blocks nothing."""

from __future__ import annotations

from typing import Any

import boa
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from mycelix.chain.units import ONE, PaymentType
from mycelix.chain.vouchers import SkipReason, Voucher, sign

from .conftest import System

PRICE = 10**16
FAR = 2**40  # an expiry nothing here reaches


def account(name: str) -> LocalAccount:
    return Account.from_key(keccak(text=name))


def chain_id() -> int:
    return int(boa.env.evm.patch.chain_id)


def voucher(
    system: System,
    signer: LocalAccount,
    song: bytes,
    nonce: int,
    *,
    amount: int = PRICE,
    expiry: int = FAR,
    listener: str | None = None,
    chain: int | None = None,
    router: str | None = None,
) -> tuple[Any, ...]:
    """`signer`'s voucher as the router takes it; `listener`, `chain` and `router` override what
    the signature covers, to forge one."""
    signed = sign(
        signer,
        Voucher(listener or signer.address, song, amount, nonce, expiry),
        chain or chain_id(),
        router or system.router.address,
    )
    return signed.as_tuple()


def tampered(signed: tuple[Any, ...], *, amount: int) -> tuple[Any, ...]:
    """`signed` with its amount changed after signing."""
    return (*signed[:2], amount, *signed[3:])


def settle(system: System, batch: list[tuple[Any, ...]]) -> tuple[int, list[Any], list[Any]]:
    """Settle `batch` as a relayer; the total and the settled and skipped events."""
    with boa.env.prank(boa.env.generate_address("relayer")):
        total = system.router.settle_vouchers(batch)
    logs = system.router.get_logs()
    settled = [e for e in logs if type(e).__name__ == "VoucherSettled"]
    skipped = [e for e in logs if type(e).__name__ == "VoucherSkipped"]
    return total, settled, skipped


@pytest.fixture(scope="module")
def song(system: System, artist: str, producer: str, engineer: str) -> bytes:
    sid = system.register("voucher song", "pay-per-stream-v1", artist)
    with boa.env.prank(artist):
        system.router.configure_splits(
            sid, [artist, producer, engineer], [8_000, 1_000, 1_000], [0, 1, 2]
        )
    return sid


@pytest.fixture(scope="module")
def fan() -> LocalAccount:
    return account("voucher fan")


@pytest.fixture(scope="module")
def fans() -> list[LocalAccount]:
    return [account(f"voucher fan {i}") for i in range(5)]


def deposit(system: System, who: LocalAccount, amount: int = ONE) -> None:
    system.fund(who.address, amount)
    with boa.env.prank(who.address):
        system.router.deposit(amount)


def test_domain_is_bound_to_chain_and_router(system: System) -> None:
    _, name, version, chain, verifying, _, _ = system.router.eip712Domain()
    assert (name, version, chain, verifying) == (
        "Mycelix Router",
        "1",
        chain_id(),
        system.router.address,
    )


def test_digest_matches_eth_account(system: System, fan: LocalAccount, song: bytes) -> None:
    from eth_account.messages import encode_typed_data

    from mycelix.chain.vouchers import typed_data

    v = Voucher(fan.address, song, PRICE, 7, FAR)
    signable = encode_typed_data(full_message=typed_data(v, chain_id(), system.router.address))
    expected = keccak(b"\x19\x01" + signable.header + signable.body)
    assert system.router.voucher_digest(fan.address, song, PRICE, 7, FAR) == expected


def test_a_voucher_settles_as_a_direct_stream(
    system: System,
    artist: str,
    producer: str,
    engineer: str,
    treasury: str,
    fan: LocalAccount,
    song: bytes,
) -> None:
    payees = (artist, producer, engineer, treasury)
    direct = boa.env.generate_address("direct payer")
    system.fund(direct, ONE)
    with boa.env.prank(direct):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    by_payment = [system.router.credits(a) for a in payees]
    deposit(system, fan)
    total, settled, skipped = settle(system, [voucher(system, fan, song, 0)])
    assert (total, skipped) == (PRICE, [])
    (log,) = settled
    assert (log.song_id, log.listener, log.nonce) == (song, fan.address, 0)
    assert (log.amount, log.fee) == (PRICE, PRICE // 100)
    assert [system.router.credits(a) for a in payees] == [2 * c for c in by_payment]
    assert system.router.balance_of(fan.address) == ONE - PRICE
    assert system.router.voucher_nonce_used(fan.address, 0)


def test_replayed_voucher_is_skipped(system: System, fan: LocalAccount, song: bytes) -> None:
    deposit(system, fan)
    good = voucher(system, fan, song, 3)
    settle(system, [good])
    total, settled, skipped = settle(system, [good, good])
    assert (total, settled) == (0, [])
    assert [(e.nonce, e.reason) for e in skipped] == [(3, SkipReason.REPLAYED)] * 2
    assert system.router.balance_of(fan.address) == ONE - PRICE


def test_duplicate_in_one_batch_settles_once(
    system: System, fan: LocalAccount, song: bytes
) -> None:
    deposit(system, fan)
    good = voucher(system, fan, song, 0)
    total, settled, skipped = settle(system, [good, good])
    assert total == PRICE and len(settled) == 1
    assert [e.reason for e in skipped] == [SkipReason.REPLAYED]


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        ("other signer", SkipReason.SIGNATURE),
        ("wrong chain", SkipReason.SIGNATURE),
        ("wrong router", SkipReason.SIGNATURE),
        ("tampered amount", SkipReason.SIGNATURE),
        ("expired", SkipReason.EXPIRED),
        ("over balance", SkipReason.BALANCE),
        ("nonce above 64 bits", SkipReason.REPLAYED),
        ("unregistered song", SkipReason.SONG),
        ("below the price", SkipReason.REFUSED),
    ],
)
def test_bad_voucher_is_skipped_and_changes_nothing(
    system: System,
    artist: str,
    fan: LocalAccount,
    song: bytes,
    forge: str,
    reason: SkipReason,
) -> None:
    deposit(system, fan)
    thief = account("voucher thief")
    now = boa.env.evm.patch.timestamp
    bad = {
        "other signer": lambda: voucher(system, thief, song, 0, listener=fan.address),
        "wrong chain": lambda: voucher(system, fan, song, 0, chain=chain_id() + 1),
        "wrong router": lambda: voucher(system, fan, song, 0, router=system.pps.address),
        "tampered amount": lambda: tampered(voucher(system, fan, song, 0), amount=PRICE * 2),
        "expired": lambda: voucher(system, fan, song, 0, expiry=now - 1),
        "over balance": lambda: voucher(system, fan, song, 0, amount=ONE + 1),
        "nonce above 64 bits": lambda: voucher(system, fan, song, 2**64),
        "unregistered song": lambda: voucher(system, fan, keccak(text="no such song"), 0),
        "below the price": lambda: voucher(system, fan, song, 0, amount=PRICE - 1),
    }[forge]()
    total, settled, skipped = settle(system, [bad])
    assert (total, settled) == (0, [])
    assert [(e.listener, e.reason) for e in skipped] == [(fan.address, reason)]
    assert system.router.balance_of(fan.address) == ONE
    assert system.router.credits(artist) == 0
    assert not system.router.voucher_nonce_used(fan.address, 0)


def test_expiry_is_inclusive(system: System, fan: LocalAccount, song: bytes) -> None:
    deposit(system, fan)
    now = boa.env.evm.patch.timestamp
    total, _, skipped = settle(system, [voucher(system, fan, song, 0, expiry=now)])
    assert (total, skipped) == (PRICE, [])


def test_quarantined_strategy_skips_its_vouchers(
    system: System, owner: str, fan: LocalAccount, song: bytes
) -> None:
    from mycelix.strategies.ids import strategy_id

    deposit(system, fan)
    with boa.env.prank(owner):
        system.router.quarantine_strategy(strategy_id("pay-per-stream-v1"))
    _, settled, skipped = settle(system, [voucher(system, fan, song, 0)])
    assert settled == [] and [e.reason for e in skipped] == [SkipReason.SONG]
    with boa.env.prank(owner):
        system.router.release_strategy(strategy_id("pay-per-stream-v1"))
    # Skipped is not spent: the same voucher settles once the strategy is back.
    total, settled, _ = settle(system, [voucher(system, fan, song, 0)])
    assert total == PRICE and len(settled) == 1


def test_reordered_vouchers_all_settle_once(system: System, fan: LocalAccount, song: bytes) -> None:
    deposit(system, fan)
    assert system.router.next_voucher_nonce(fan.address) == 0
    batch = [voucher(system, fan, song, n) for n in (5, 2, 9, 0, 7)]
    total, settled, skipped = settle(system, batch)
    assert (total, skipped) == (5 * PRICE, [])
    assert [e.nonce for e in settled] == [5, 2, 9, 0, 7]
    assert system.router.next_voucher_nonce(fan.address) == 10
    # Nonces inside the window that were never used still settle later, out of order.
    total, settled, skipped = settle(system, [voucher(system, fan, song, n) for n in (8, 1, 9)])
    assert total == 2 * PRICE
    assert [e.nonce for e in settled] == [8, 1]
    assert [(e.nonce, e.reason) for e in skipped] == [(9, SkipReason.REPLAYED)]
    assert system.router.balance_of(fan.address) == ONE - 7 * PRICE


def test_nonces_older_than_the_window_are_refused(
    system: System, fan: LocalAccount, song: bytes
) -> None:
    deposit(system, fan)
    settle(system, [voucher(system, fan, song, 100)])
    assert not system.router.voucher_nonce_used(fan.address, 37)
    assert system.router.voucher_nonce_used(fan.address, 36)
    total, _, skipped = settle(
        system, [voucher(system, fan, song, 36), voucher(system, fan, song, 37)]
    )
    assert total == PRICE
    assert [(e.nonce, e.reason) for e in skipped] == [(36, SkipReason.REPLAYED)]
    # A jump past the whole window starts a fresh one below the new highest nonce.
    settle(system, [voucher(system, fan, song, 1_000)])
    assert [system.router.voucher_nonce_used(fan.address, n) for n in (936, 937, 999, 1_000)] == [
        True,
        False,
        False,
        True,
    ]


def test_mixed_batch_settles_only_the_good_ones_exactly_once(
    system: System,
    artist: str,
    producer: str,
    engineer: str,
    treasury: str,
    fans: list[LocalAccount],
    song: bytes,
) -> None:
    for f in fans:
        deposit(system, f, PRICE * 3)
    poor = account("voucher poor fan")
    deposit(system, poor, PRICE - 1)
    now = boa.env.evm.patch.timestamp
    good = [voucher(system, f, song, n) for f in fans for n in (1, 0)]
    bad = [
        voucher(system, account("voucher thief"), song, 4, listener=fans[0].address),
        voucher(system, fans[1], song, 5, expiry=now - 1),
        voucher(system, poor, song, 0),
        voucher(system, fans[2], song, 6, chain=chain_id() + 5),
        good[0],  # replayed within the batch
    ]
    batch = [bad[0], good[0], bad[1], *good[1:5], bad[2], bad[3], *good[5:], bad[4]]
    total, settled, skipped = settle(system, batch)
    assert total == len(good) * PRICE
    assert sorted((e.listener, e.nonce) for e in settled) == sorted(
        (f.address, n) for f in fans for n in (1, 0)
    )
    assert [e.reason for e in skipped] == [
        SkipReason.SIGNATURE,
        SkipReason.EXPIRED,
        SkipReason.BALANCE,
        SkipReason.SIGNATURE,
        SkipReason.REPLAYED,
    ]
    assert all(system.router.balance_of(f.address) == PRICE for f in fans)
    assert system.router.balance_of(poor.address) == PRICE - 1
    # Credits are what ten direct streams would have made, to the wei.
    fee = PRICE // 100
    net = PRICE - fee
    n = len(good)
    assert system.router.credits(treasury) == n * fee
    assert system.router.credits(producer) == n * (net // 10)
    assert system.router.credits(engineer) == n * (net // 10)
    assert system.router.credits(artist) == n * (net - 2 * (net // 10))
    # The whole batch again settles nothing more.
    total, settled, _ = settle(system, batch)
    assert (total, settled) == (0, [])


def test_batch_stops_at_its_credit_budget_without_reverting(
    system: System, artist: str, listeners: list[str]
) -> None:
    # 64-recipient songs: 65 credits per voucher, so the 512-credit budget takes 7 of 9.
    wide = system.register("wide voucher song", "pay-per-stream-v1", artist)
    recipients = [artist, *listeners[:63]]
    with boa.env.prank(artist):
        system.router.configure_splits(wide, recipients, [10_000 - 63 * 100] + [100] * 63, [0] * 64)
    payers = [account(f"wide fan {i}") for i in range(9)]
    for p in payers:
        deposit(system, p)
    total, settled, skipped = settle(system, [voucher(system, p, wide, 0) for p in payers])
    assert (total, len(settled)) == (7 * PRICE, 7)
    assert [(e.listener, e.reason) for e in skipped] == [
        (p.address, SkipReason.BATCH_FULL) for p in payers[7:]
    ]
    total, settled, _ = settle(system, [voucher(system, p, wide, 0) for p in payers[7:]])
    assert total == 2 * PRICE


@pytest.mark.parametrize("case", ["paused", "empty"])
def test_settlement_refuses_when_paused_or_empty(
    system: System, owner: str, fan: LocalAccount, song: bytes, case: str
) -> None:
    deposit(system, fan)
    batch = [voucher(system, fan, song, 0)]
    if case == "paused":
        with boa.env.prank(owner):
            system.router.pause()
        reason = "router: paused"
    else:
        batch, reason = [], "router: empty batch"
    with boa.reverts(reason):
        system.router.settle_vouchers(batch)
    assert system.router.balance_of(fan.address) == ONE


def test_vouchers_still_settle_during_the_withdrawal_notice(
    system: System, fan: LocalAccount, song: bytes
) -> None:
    deposit(system, fan)
    signed = voucher(system, fan, song, 0)
    with boa.env.prank(fan.address):
        system.router.request_withdrawal()
    boa.env.time_travel(seconds=3_600)
    total, _, _ = settle(system, [signed])
    assert total == PRICE
    boa.env.time_travel(seconds=int(system.router.withdrawal_notice()))
    with boa.env.prank(fan.address):
        system.router.withdraw_balance(ONE - PRICE)
    assert system.router.balance_of(fan.address) == 0
    assert system.flow.balanceOf(fan.address) == ONE - PRICE


def test_free_play_voucher_records_a_zero_charge(
    system: System, artist: str, fan: LocalAccount
) -> None:
    gift = system.register("gift voucher song", "gift-economy-v1", artist)
    deposit(system, fan)
    total, settled, skipped = settle(system, [voucher(system, fan, gift, 0, amount=0)])
    assert (total, skipped) == (0, [])
    assert [(e.amount, e.fee) for e in settled] == [(0, 0)]
    assert system.router.balance_of(fan.address) == ONE
    assert system.router.voucher_nonce_used(fan.address, 0)

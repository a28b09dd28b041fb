"""Values with several spellings are stored in one; amounts and times are exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mycelix.catalog.models import Payment
from mycelix.catalog.repositories import PaymentEvent, PaymentRepository, Share
from mycelix.catalog.types import (
    MAX_UINT256,
    check_amount,
    normalize_address,
    normalize_bytes32,
    to_checksum,
)

from .factories import PPS, address, make_song, ref

CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def test_addresses_are_stored_lower_case() -> None:
    assert normalize_address(CHECKSUMMED) == CHECKSUMMED.lower()
    assert normalize_address(CHECKSUMMED.upper().replace("0X", "0x")) == CHECKSUMMED.lower()
    assert to_checksum(CHECKSUMMED.lower()) == CHECKSUMMED


@pytest.mark.parametrize(
    "bad", ["", "0x123", CHECKSUMMED[2:], CHECKSUMMED.replace("a", "A", 1), "0x" + "g" * 40]
)
def test_bad_addresses_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^(not an address|bad EIP-55 checksum): "):
        normalize_address(bad)


def test_bytes32() -> None:
    assert normalize_bytes32(b"\xab" * 32) == "0x" + "ab" * 32
    assert normalize_bytes32("0x" + "AB" * 32) == "0x" + "ab" * 32
    for bad in (b"\x00" * 31, "0x" + "ab" * 31, "ab" * 32):
        with pytest.raises(
            ValueError, match=r"^(expected 32 bytes, got 31|not a 0x-prefixed 32-byte hex)"
        ):
            normalize_bytes32(bad)


def test_amounts_are_uint256() -> None:
    assert check_amount(MAX_UINT256) == MAX_UINT256
    with pytest.raises(ValueError, match="token amount out of uint256 range: 1157"):
        check_amount(MAX_UINT256 + 1)
    with pytest.raises(ValueError, match="token amount out of uint256 range: -1"):
        check_amount(-1)
    for bad in (1.0, True, "1"):
        with pytest.raises(TypeError, match=r"token amounts are ints, got (float|bool|str)"):
            check_amount(bad)  # type: ignore[arg-type]


def _pay(db: Session, amount: int, fee: int, block: int, **kw: object) -> Payment:
    song = kw.pop("song", None) or make_song(db)
    event = PaymentEvent(
        song_id=str(song),
        payer=address("listener"),
        strategy_id=PPS,
        payment_type=0,
        amount=amount,
        fee=fee,
        ref=ref(block),
    )
    shares = [Share(address("artist"), amount - fee)]
    payment = PaymentRepository(db).record(event, shares, treasury=address("treasury"))
    assert payment is not None
    return payment


def test_max_uint256_round_trips(db: Session) -> None:
    payment = _pay(db, MAX_UINT256, MAX_UINT256 - 1, block=1)
    db.expire_all()
    stored = db.scalars(select(Payment).where(Payment.id == payment.id)).one()
    assert stored.amount == MAX_UINT256 and type(stored.amount) is int
    assert stored.fee == MAX_UINT256 - 1


def test_amount_comparisons_are_numeric(db: Session) -> None:
    song = make_song(db)
    for block, amount in enumerate([9, 10, 2**64, 2**200, MAX_UINT256], start=1):
        _pay(db, amount, 0, block, song=song)
    big = db.scalars(
        select(Payment.amount).where(Payment.song_id == song, Payment.amount > 10)
    ).all()
    assert sorted(big) == [2**64, 2**200, MAX_UINT256]
    ordered = db.scalars(
        select(Payment.amount).where(Payment.song_id == song).order_by(Payment.amount.desc())
    ).all()
    assert ordered == [MAX_UINT256, 2**200, 2**64, 10, 9]


def test_timestamps_come_back_aware_utc(db: Session, backend: str) -> None:
    if backend == "postgresql":  # a session time zone far from UTC changes nothing
        db.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    local = datetime(2025, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    payment = _pay(db, 100, 1, block=1)
    payment.paid_at = local
    db.flush()
    db.expire_all()
    stored = db.scalars(select(Payment.paid_at).where(Payment.id == payment.id)).one()
    assert stored == datetime(2025, 1, 2, 4, 30, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_naive_datetimes_are_rejected(db: Session) -> None:
    payment = _pay(db, 100, 1, block=1)
    payment.paid_at = datetime(2025, 1, 1)
    with pytest.raises(Exception, match="naive"):
        db.flush()

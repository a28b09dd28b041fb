"""Payments, the credits they produce, and withdrawals — the money tables.

The indexer writes them from router events. Each event is identified by (tx hash, log
index), so `record` is idempotent: a replayed block inserts nothing and returns None.
The payment and its credits go in together (one ``INSERT ... ON CONFLICT DO NOTHING``
decides both), so a credit can never exist twice or without its payment.

A payment's credits must add up to what it moved: the shares of the net (`amount - fee`)
plus, when there is a fee, the treasury's credit. `record` checks that — the router's
invariant, checked again at the edge of the catalogue — so a distribution bug in the
indexer fails loudly instead of skewing every earnings figure after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from ..models import Credit, Payment, Withdrawal
from ..sqlfuncs import amount_sum, insert_ignoring, insert_rows
from ..types import check_amount, normalize_address, normalize_bytes32
from . import cursor as cursors
from .common import ChainRef, Page


@dataclass(frozen=True)
class PaymentEvent:
    """A router `Payment` event, decoded."""

    song_id: str | bytes
    payer: str
    strategy_id: str | bytes
    payment_type: int
    amount: int
    fee: int
    ref: ChainRef


@dataclass(frozen=True)
class Share:
    """Units of a payment's net credited to one recipient (the router's distribution)."""

    recipient: str
    amount: int


@dataclass(frozen=True)
class PaidShares:
    """A payment with its distribution: `shares` split the net, `treasury` gets the fee."""

    event: PaymentEvent
    shares: Sequence[Share]
    treasury: str | None


def _check(event: PaymentEvent, shares: Sequence[Share], treasury: str | None) -> None:
    """The router's invariant: the credits add up to what the payment moved."""
    check_amount(event.amount)
    check_amount(event.fee)
    if event.fee > event.amount:
        raise ValueError("fee exceeds amount")
    net = event.amount - event.fee
    if sum(check_amount(s.amount) for s in shares) != net:
        raise ValueError(f"shares sum to {sum(s.amount for s in shares)}, net is {net}")
    if event.fee and treasury is None:
        raise ValueError("a payment with a fee needs the treasury address")


def _credit_rows(
    payment_id: int, paid: PaidShares, payment: dict[str, Any]
) -> list[dict[str, Any]]:
    """The credits rows of one payment: its shares summed per recipient, and the fee."""
    credited: dict[tuple[str, str], int] = {}
    for share in paid.shares:
        key = ("split", normalize_address(share.recipient))
        credited[key] = credited.get(key, 0) + share.amount
    if paid.event.fee:
        assert paid.treasury is not None
        credited[("fee", normalize_address(paid.treasury))] = paid.event.fee
    return [
        {
            "payment_id": payment_id,
            "recipient": recipient,
            "kind": kind,
            "amount": amount,
            "song_id": payment["song_id"],
            "strategy_id": payment["strategy_id"],
            "block_number": payment["block_number"],
            "credited_at": payment["paid_at"],
        }
        for (kind, recipient), amount in credited.items()
        if amount
    ]


def _payment_row(event: PaymentEvent) -> dict[str, Any]:
    ref = event.ref
    return {
        "song_id": normalize_bytes32(event.song_id),
        "payer": event.payer,
        "strategy_id": event.strategy_id,
        "payment_type": event.payment_type,
        "amount": event.amount,
        "fee": event.fee,
        "block_number": ref.block_number,
        "block_hash": ref.block_hash,
        "tx_hash": ref.tx_hash,
        "log_index": ref.log_index,
        "paid_at": ref.block_time,
    }


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, event: PaymentEvent, shares: Sequence[Share], *, treasury: str | None = None
    ) -> Payment | None:
        """Insert a payment and its credits; None (and no change) if it was recorded
        already. `shares` split the net; `treasury` receives the fee credit."""
        _check(event, shares, treasury)
        row = _payment_row(event)
        payment_id = self.session.execute(
            insert_ignoring(self.session, Payment, "tx_hash", "log_index")
            .values(**row)
            .returning(Payment.id)
        ).scalar_one_or_none()
        if payment_id is None:
            return None
        credits = _credit_rows(payment_id, PaidShares(event, shares, treasury), row)
        if credits:
            self.session.execute(insert(Credit), credits)
        return self.session.get(Payment, payment_id)

    def record_many(self, paid: Sequence[PaidShares]) -> list[int | None]:
        """`record` for many payments at once: one bulk INSERT of the payments (ON CONFLICT
        DO NOTHING) and one of their credits (`insert_rows`), not statements per payment.
        Returns each payment's new id, None for one recorded already (a replay). The events
        are distinct (as a batch of logs is)."""
        if not paid:
            return []
        for item in paid:
            _check(item.event, item.shares, item.treasury)
        rows = [_payment_row(item.event) for item in paid]
        # A conflicting row returns nothing: ids are matched back by (tx hash, log index).
        inserted = insert_rows(
            self.session,
            Payment,
            rows,
            ignoring=("tx_hash", "log_index"),
            returning=("id", "tx_hash", "log_index"),
        )
        ids = {(tx_hash, log_index): payment_id for payment_id, tx_hash, log_index in inserted}
        found = [ids.get((row["tx_hash"], row["log_index"])) for row in rows]
        credits = [
            credit
            for item, payment_id, row in zip(paid, found, rows, strict=True)
            if payment_id is not None
            for credit in _credit_rows(payment_id, item, row)
        ]
        insert_rows(self.session, Credit, credits)
        return found

    def get_by_log(self, tx_hash: str | bytes, log_index: int) -> Payment | None:
        stmt = select(Payment).where(
            Payment.tx_hash == normalize_bytes32(tx_hash), Payment.log_index == log_index
        )
        return self.session.scalars(stmt).one_or_none()

    def credits_of(self, payment_id: int) -> list[Credit]:
        stmt = select(Credit).where(Credit.payment_id == payment_id).order_by(Credit.id)
        return list(self.session.scalars(stmt))

    def history(
        self,
        *,
        payer: str | None = None,
        song_id: str | bytes | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Payment]:
        """Payments newest first (chain order), optionally of one payer and/or song."""
        stmt = select(Payment)
        if payer is not None:
            stmt = stmt.where(Payment.payer == normalize_address(payer))
        if song_id is not None:
            stmt = stmt.where(Payment.song_id == normalize_bytes32(song_id))
        if cursor is not None:
            block, log = (cursors.integer(v) for v in cursors.decode(cursor, "payments", 2))
            stmt = stmt.where(tuple_(Payment.block_number, Payment.log_index) < (block, log))
        stmt = stmt.order_by(Payment.block_number.desc(), Payment.log_index.desc())
        rows = list(self.session.scalars(stmt.limit(limit + 1)))
        page = rows[:limit]
        more = len(rows) > limit
        last = page[-1] if page else None
        next_cursor = (
            cursors.encode("payments", [last.block_number, last.log_index])
            if more and last
            else None
        )
        return Page(page, next_cursor)

    def paid_since(
        self, song_id: str, payer: str, since: datetime, payment_types: Iterable[int]
    ) -> bool:
        """Whether `payer` made a payment of one of `payment_types` for the song at or after
        `since`. A payment of 0 counts: the chain recorded only plays its strategy accepted
        (a freemium listener's free play, a pay-what-you-want play at a zero minimum)."""
        found = self.session.scalar(
            select(Payment.id)
            .where(
                Payment.song_id == song_id,
                Payment.payer == payer,
                Payment.payment_type.in_(list(payment_types)),
                Payment.paid_at >= since,
            )
            .limit(1)
        )
        return found is not None

    def record_withdrawal(self, recipient: str, amount: int, ref: ChainRef) -> bool:
        """Insert a router `Withdrawal`; False if it was recorded already."""
        inserted = self.session.execute(
            insert_ignoring(self.session, Withdrawal, "tx_hash", "log_index")
            .values(
                recipient=recipient,
                amount=check_amount(amount),
                block_number=ref.block_number,
                block_hash=ref.block_hash,
                tx_hash=ref.tx_hash,
                log_index=ref.log_index,
                withdrawn_at=ref.block_time,
            )
            .returning(Withdrawal.id)
        ).scalar_one_or_none()
        return inserted is not None

    def balance(self, recipient: str) -> int:
        """Withdrawable units of `recipient` as the catalogue knows them: everything
        credited (splits and fees) minus everything withdrawn."""
        address = normalize_address(recipient)
        credited = self.session.scalar(
            select(amount_sum(Credit.amount)).where(Credit.recipient == address)
        )
        withdrawn = self.session.scalar(
            select(amount_sum(Withdrawal.amount)).where(Withdrawal.recipient == address)
        )
        return int(credited or 0) - int(withdrawn or 0)

    def delete_above(self, block_number: int) -> dict[str, int]:
        """Reorg: delete credits, payments and withdrawals of blocks above
        `block_number`. Plays that reference those payments must go first
        (PlayRepository.delete_above, which also fixes play counts)."""
        counts: dict[str, int] = {}
        tables: tuple[tuple[str, Any], ...] = (
            ("credits", Credit),
            ("payments", Payment),
            ("withdrawals", Withdrawal),
        )
        for name, model in tables:
            result: Any = self.session.execute(
                delete(model)
                .where(model.block_number > block_number)
                .execution_options(synchronize_session=False)
            )
            counts[name] = int(result.rowcount or 0)
        return counts

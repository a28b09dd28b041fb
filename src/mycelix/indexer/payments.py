"""Router payments, applied a batch at a time.

A catch-up is almost all `Payment` events, and writing each on its own (an INSERT of the
payment, one of its credits, one of its play, an UPDATE of the song's play count, and a
load of the song to find its splits) cost ~20 statements' worth of round trips and ORM
work per event. So `on_payment` only notes the event with the router settings in force at
it (`PendingPayments.add`), and `flush` writes all pending ones together: the songs they
pay read once (`SongRepository.payment_terms`, cached for the batch), one multi-row INSERT
of payments, one of credits, one of plays, one UPDATE per song played.

The indexer flushes before any other handler runs and at the end of the batch, inside
the batch's transaction, so every handler still sees the catalogue as if the payments
before it had been applied one by one, and a payment's failure still fails its batch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mycelix.catalog.repositories import PaymentEvent, Share
from mycelix.catalog.repositories.payments import PaidShares
from mycelix.catalog.repositories.plays import PaidPlay
from mycelix.catalog.repositories.songs import PaymentTerms
from mycelix.chain.units import BPS, ONE, PaymentType
from mycelix.ops.metrics import Metrics
from mycelix.sdk.types import ChainEvent

from .distribution import distribute
from .errors import IndexerError
from .reader import hex32, strategy_name

if TYPE_CHECKING:
    from .context import IndexContext
    from .store import Setting


def strategy_label(strategy_id: str | None) -> str:
    if strategy_id is None:
        return "none"
    return strategy_name(strategy_id) or strategy_id[:10]


def _type_label(payment_type: int) -> str:
    try:
        return PaymentType(payment_type).name.lower()
    except ValueError:
        return str(payment_type)


@dataclass(frozen=True)
class _Pending:
    event: ChainEvent
    song_id: str
    treasury: Setting | None
    fee_bps: Setting | None


class PendingPayments:
    """The `Payment` events of a batch not written yet (see module docstring)."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        # song id -> terms, read in this transaction; dropped whenever another handler runs
        # (it may have changed a song's artist or splits).
        self.terms: dict[str, PaymentTerms] = {}
        self._shares: dict[tuple[str, int], list[Share]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, ctx: IndexContext, event: ChainEvent) -> None:
        """Note a payment, with the treasury and fee that the events before it set."""
        song_id = hex32(event.args["song_id"])
        self._pending.append(_Pending(event, song_id, ctx.router.treasury, ctx.router.fee_bps))

    def forget_songs(self) -> None:
        self.terms.clear()
        self._shares.clear()

    def flush(self, ctx: IndexContext) -> None:
        """Write the pending payments, their credits and plays; count their metrics."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        ctx.session.flush()  # the ORM's pending changes, visible to the SQL below
        unknown = {p.song_id for p in pending} - self.terms.keys()
        if unknown:
            self.terms.update(ctx.songs.payment_terms(sorted(unknown)))
        paid: list[PaidShares] = []
        for p in pending:
            paid.append(self._distribute(ctx, p))
        ids = ctx.payments.record_many(paid)
        plays: list[PaidPlay] = []
        played: Counter[str] = Counter()
        payments: Counter[tuple[str, str]] = Counter()
        revenue: Counter[tuple[str, str]] = Counter()
        fees = 0
        for p, item, payment_id in zip(pending, paid, ids, strict=True):
            if payment_id is None:  # a replay
                continue
            event, amount, fee = item.event, item.event.amount, item.event.fee
            if p.fee_bps is not None and fee != amount * int(p.fee_bps.value) // BPS:
                raise IndexerError(
                    f"Payment {p.event.tx_hash}:{p.event.log_index} has fee {fee}, but the fee "
                    f"followed from FeeChanged events is {p.fee_bps.value} bps of {amount}"
                )
            label = strategy_label(str(event.strategy_id))
            if event.payment_type == PaymentType.STREAM:
                plays.append(
                    PaidPlay(
                        song_id=p.song_id,
                        listener=event.payer,
                        payment_id=payment_id,
                        block_number=event.ref.block_number,
                        played_at=event.ref.block_time,
                    )
                )
                played[label] += 1
            if amount:
                key = (label, _type_label(event.payment_type))
                payments[key] += 1
                revenue[key] += amount
                fees += fee
        ctx.plays.record_paid(plays)

        def count(m: Metrics) -> None:
            for label, n in played.items():
                m.plays.labels(strategy=label).inc(n)
            for (label, kind), n in payments.items():
                m.payments.labels(strategy=label, type=kind).inc(n)
                m.revenue.labels(strategy=label, type=kind).inc(revenue[(label, kind)] / ONE)
            if fees:
                m.fees.inc(fees / ONE)

        if played or payments:
            ctx.count(count)

    def _distribute(self, ctx: IndexContext, p: _Pending) -> PaidShares:
        args = p.event.args
        terms = self.terms.get(p.song_id)
        if terms is None:
            raise IndexerError(
                f"Payment for song {p.song_id}, which the catalogue never saw registered "
                "(index from the deployment block)"
            )
        amount, fee = int(str(args["amount"])), int(str(args["fee"]))
        # A catch-up pays the same few prices to the same songs: distribute each once.
        key = (p.song_id, amount - fee)
        shares = self._shares.get(key)
        if shares is None:
            shares = self._shares[key] = distribute(amount - fee, terms.splits, terms.artist)
        if fee and p.treasury is None:
            raise IndexerError("a payment carries a fee but no TreasuryChanged event was indexed")
        event = PaymentEvent(
            song_id=p.song_id,
            payer=str(args["payer"]),
            strategy_id=ctx.reader.strategy_id(str(args["strategy"])),
            payment_type=int(str(args["payment_type"])),
            amount=amount,
            fee=fee,
            ref=ctx.ref(p.event),
        )
        return PaidShares(event, shares, str(p.treasury.value) if p.treasury else None)

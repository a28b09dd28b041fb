"""One handler per (contract, event): `HANDLERS` maps the pair to a function
``handler(ctx, event)`` that writes through the catalogue's repositories.

Handlers are idempotent (the repositories key every row by tx hash and log index, and
in-place updates set the same values again) and count metrics through `ctx.count`, which
applies them only after the batch commits. Events of the watched contracts that change
nothing the catalogue keeps are listed in `IGNORED`; anything else is logged once, so a
new contract version's events do not go unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from mycelix.catalog.repositories import (
    SplitSpec,
)
from mycelix.chain.units import ONE, PaymentType
from mycelix.sdk.types import ChainEvent
from mycelix.strategies import registry
from mycelix.vouchers.repository import VoucherRepository, skip_label

from .context import IndexContext
from .payments import strategy_label
from .reader import hex32, strategy_name
from .store import Setting

Handler = Callable[[IndexContext, ChainEvent], None]

ROUTER = "EconomicStrategyRouter"


def _time(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


# ------------------------------------------------------------------ router: money


def on_payment(ctx: IndexContext, event: ChainEvent) -> None:
    """Deferred: written with the batch's other payments (payments.py) before the next
    handler that is not in `DEFERRED` runs, and at the end of the batch."""
    ctx.pending.add(ctx, event)


def on_withdrawal(ctx: IndexContext, event: ChainEvent) -> None:
    amount = int(str(event.args["amount"]))
    if ctx.payments.record_withdrawal(str(event.args["recipient"]), amount, ctx.ref(event)):
        ctx.count(lambda m: m.withdrawals.inc(amount / ONE))


# ------------------------------------------------------------------ router: songs


def on_song_registered(ctx: IndexContext, event: ChainEvent) -> None:
    # The event's salt is not kept: the id already binds it to the artist (the router derives
    # song_id = keccak256(artist ‖ salt)), and a described song was given that same id.
    strategy = hex32(event.args["strategy_id"])
    ctx.songs.register(
        hex32(event.args["song_id"]),
        artist=str(event.args["artist"]),
        strategy_id=strategy,
        strategy_name=strategy_name(strategy),
        ref=ctx.ref(event),
    )
    label = strategy_label(strategy)
    ctx.count(lambda m: m.songs_registered.labels(strategy=label).inc())


def on_strategy_changed(ctx: IndexContext, event: ChainEvent) -> None:
    song_id = hex32(event.args["song_id"])
    song = ctx.songs.require(song_id)
    strategy = hex32(event.args["strategy_id"])
    song.strategy_id = strategy
    song.strategy_name = strategy_name(strategy)
    ctx.session.flush()
    ctx.touch(event, song_id)


def on_song_transferred(ctx: IndexContext, event: ChainEvent) -> None:
    """The new artist accepted an offer: only now does the song change hands."""
    song_id = hex32(event.args["song_id"])
    song = ctx.songs.require(song_id)
    artist = ctx.artists.ensure(str(event.args["artist"]))
    song.artist = artist.address
    ctx.session.flush()
    ctx.touch(event, song_id)


def on_splits_configured(ctx: IndexContext, event: ChainEvent) -> None:
    args = event.args
    recipients: list[Any] = list(args["recipients"])  # type: ignore[call-overload]
    bps: list[Any] = list(args["bps"])  # type: ignore[call-overload]
    roles: list[Any] = list(args["roles"])  # type: ignore[call-overload]
    splits = [
        SplitSpec(recipient=str(r), bps=int(b), role=int(o))
        for r, b, o in zip(recipients, bps, roles, strict=True)
    ]
    ctx.songs.set_splits(hex32(args["song_id"]), splits, block_number=event.block_number)
    ctx.count(lambda m: m.splits_configured.inc())


# --------------------------------------------------------------- router: settings


def on_treasury_changed(ctx: IndexContext, event: ChainEvent) -> None:
    ctx.router.treasury = Setting(str(event.args["treasury"]), event.block_number)
    ctx.router_changed = True


def on_fee_changed(ctx: IndexContext, event: ChainEvent) -> None:
    ctx.router.fee_bps = Setting(int(str(event.args["fee_bps"])), event.block_number)
    ctx.router_changed = True


def on_strategy_registered(ctx: IndexContext, event: ChainEvent) -> None:
    ctx.reader.remember_strategy(str(event.args["strategy"]), hex32(event.args["strategy_id"]))


# -------------------------------------------------------------------- strategies


def _strategy_events() -> tuple[dict[tuple[str, str], Handler], set[tuple[str, str]]]:
    """Each strategy folder's handlers (`Strategy.indexer_handlers`); events it maps to None
    change nothing the catalogue keeps."""
    handlers: dict[tuple[str, str], Handler] = {}
    ignored: set[tuple[str, str]] = set()
    for strategy in registry.all_strategies():
        for event, handler in strategy.indexer_handlers().items():
            if handler is None:
                ignored.add((strategy.contract, event))
            else:
                handlers[(strategy.contract, event)] = handler
    return handlers, ignored


_STRATEGY_HANDLERS, _STRATEGY_IGNORED = _strategy_events()

# ------------------------------------------------------------------ router: vouchers


def on_voucher_settled(ctx: IndexContext, event: ChainEvent) -> None:
    """A settled voucher is a STREAM payment by its listener through the song's strategy (the
    router logs it in place of `Payment`); the voucher queue learns it settled."""
    args = event.args
    song = ctx.songs.get(hex32(args["song_id"]))
    strategy = ctx.reader.strategy_address(song.strategy_id) if song and song.strategy_id else ""
    as_payment = ChainEvent(
        name="Payment",
        contract=event.contract,
        args={
            "song_id": args["song_id"],
            "payer": args["listener"],
            "strategy": strategy,
            "payment_type": int(PaymentType.STREAM),
            "amount": args["amount"],
            "fee": args["fee"],
        },
        block_number=event.block_number,
        block_hash=event.block_hash,
        tx_hash=event.tx_hash,
        log_index=event.log_index,
    )
    on_payment(ctx, as_payment)
    listener, nonce = str(args["listener"]), int(str(args["nonce"]))
    if VoucherRepository(ctx.session).settled(
        listener, nonce, int(str(args["amount"])), event.tx_hash
    ):
        ctx.count(lambda m: m.vouchers_settled.inc())


def on_voucher_skipped(ctx: IndexContext, event: ChainEvent) -> None:
    args = event.args
    reason = int(str(args["reason"]))
    listener, nonce = str(args["listener"]), int(str(args["nonce"]))
    if VoucherRepository(ctx.session).skipped(listener, nonce, reason, event.tx_hash):
        ctx.count(lambda m: m.vouchers_skipped.labels(skip_label(reason)).inc())


HANDLERS: Mapping[tuple[str, str], Handler] = MappingProxyType(
    {
        **_STRATEGY_HANDLERS,
        (ROUTER, "Payment"): on_payment,
        (ROUTER, "VoucherSettled"): on_voucher_settled,
        (ROUTER, "VoucherSkipped"): on_voucher_skipped,
        (ROUTER, "Withdrawal"): on_withdrawal,
        (ROUTER, "SongRegistered"): on_song_registered,
        (ROUTER, "SongStrategyChanged"): on_strategy_changed,
        (ROUTER, "SongTransferred"): on_song_transferred,
        (ROUTER, "SplitsConfigured"): on_splits_configured,
        (ROUTER, "TreasuryChanged"): on_treasury_changed,
        (ROUTER, "FeeChanged"): on_fee_changed,
        (ROUTER, "StrategyRegistered"): on_strategy_registered,
    }
)

# Events of the watched contracts that change nothing the catalogue keeps. Deliberately
# among them: a transfer offer or its cancellation (a song's artist changes only when the new
# artist accepts, `SongTransferred`; the pending offer is read live from the router), and a
# strategy's quarantine or release (the catalogue keeps no strategy state: payments through a
# quarantined strategy revert, so they never reach it, and songs moved off it arrive as
# `SongStrategyChanged`).
IGNORED: frozenset[tuple[str, str]] = frozenset(
    {
        (ROUTER, "SongTransferOffered"),
        (ROUTER, "SongTransferCancelled"),
        (ROUTER, "StrategyQuarantined"),
        (ROUTER, "StrategyReleased"),
        (ROUTER, "StrategyEnabled"),
        (ROUTER, "Paused"),
        (ROUTER, "Unpaused"),
        (ROUTER, "OwnershipTransferred"),
        (ROUTER, "OwnershipTransferStarted"),
        # Listener balances are read live from the router (`balance_of`).
        (ROUTER, "Deposit"),
        (ROUTER, "WithdrawalRequested"),
        (ROUTER, "BalanceWithdrawn"),
        *_STRATEGY_IGNORED,
    }
)

# Handlers that only note their event for a later bulk write (`IndexContext.pending`).
DEFERRED: frozenset[tuple[str, str]] = frozenset({(ROUTER, "Payment")})

WATCHED: frozenset[str] = frozenset(contract for contract, _ in HANDLERS)

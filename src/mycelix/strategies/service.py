"""The strategy catalogue (what each strategy charges and how it is configured, with the
contracts' bounds), the router's distribution rule, the earnings calculator and a song's
live on-chain economics. Every strategy-specific answer comes from the strategy's folder
through the registry (`registry.py`, `protocol.py`).

Every figure is an exact integer of token units computed with the contracts' own rounding:
a fee or share is rounded down per payment, so a month of `n` equal payments is `n` times
the per-payment figure, never a rounded percentage of a total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from web3 import Web3

from mycelix.chain.distribution import protocol_fee, split_net
from mycelix.chain.errors import ContractRevert
from mycelix.chain.units import PaymentType
from mycelix.errors import Missing
from mycelix.platform import Platform
from mycelix.schemas import Amount, SplitOut, role_name
from mycelix.strategies import registry
from mycelix.strategies.base import view
from mycelix.strategies.registry import strategy_id
from mycelix.strategies.schemas import (
    CalcLine,
    CalculatorIn,
    CalculatorOut,
    EconomyOut,
    PreviewOut,
    ShareOut,
    StrategyOut,
)


def strategies(p: Platform) -> list[StrategyOut]:
    router = p.sdk.router
    out = []
    for strategy in registry.all_strategies():
        info = strategy.catalogue
        enabled = bool(view(router.functions.strategy_enabled(strategy_id(strategy.name))))
        out.append(
            StrategyOut(
                name=strategy.name,
                strategy_id="0x" + strategy_id(strategy.name).hex(),
                contract=p.manifest.addresses[strategy.contract],
                enabled=enabled,
                title=info.title,
                description=info.description,
                payment_types=info.payment_types,
                config=info.config,
                rules=info.rules,
            )
        )
    return out


def require_strategy(name: str) -> str:
    if registry.find(name) is None:
        raise Missing(f"unknown strategy {name!r}; known: {', '.join(registry.names())}")
    return name


# --------------------------------------------------------------- distribution


@dataclass(frozen=True)
class Recipient:
    recipient: str
    bps: int
    role: int


def distribute(net: int, recipients: Sequence[Recipient]) -> list[int]:
    """Each recipient's credit of `net` by the router's rule (`mycelix.chain.distribution`)."""
    return [amount for _, amount in split_net(net, [(r.recipient, r.bps) for r in recipients])]


def chain_recipients(p: Platform, song_id: str) -> list[Recipient]:
    if p.sdk.song_artist(song_id) is None:
        raise Missing(f"song {song_id} is not registered on chain")
    return [Recipient(s.recipient, s.bps, int(s.role)) for s in p.sdk.splits(song_id)]


def preview(amount: int, fee_bps: int, recipients: Sequence[Recipient]) -> PreviewOut:
    fee = protocol_fee(amount, fee_bps)
    net = amount - fee
    shares = distribute(net, recipients)
    return PreviewOut(
        amount=Amount.of(amount),
        fee_bps=fee_bps,
        fee=Amount.of(fee),
        net=Amount.of(net),
        shares=[
            ShareOut(recipient=r.recipient, role=role_name(r.role), bps=r.bps, amount=Amount.of(s))
            for r, s in zip(recipients, shares, strict=True)
        ],
    )


# ----------------------------------------------------------------- calculator


def calculate(
    name: str, body: CalculatorIn, fee_bps: int, recipients: Sequence[Recipient]
) -> CalculatorOut:
    """Projected monthly income of a song under strategy `name` (see CalculatorIn)."""
    assumptions = [
        "Figures are per month and exact: the fee and every share are rounded down per "
        "payment, as the router does, then multiplied by the number of payments.",
        f"The protocol fee is {fee_bps} bps of every charged payment.",
    ]
    projection = registry.get(name).project(body)
    lines = list(projection.lines)  # (source, payments, charge each)
    assumptions += projection.assumptions
    cgc = projection.cgc
    if body.tips is not None:
        lines.append(("tips", body.tips.count, body.tips.amount))
        assumptions.append("Each tip is charged whole and split like any payment.")

    totals = [0] * len(recipients)
    out_lines = []
    gross = fee = 0
    for source, count, charge in lines:
        each_fee = protocol_fee(charge, fee_bps)
        each_shares = distribute(charge - each_fee, recipients)
        for i, s in enumerate(each_shares):
            totals[i] += s * count
        gross += charge * count
        fee += each_fee * count
        out_lines.append(
            CalcLine(
                source=source,
                payments=count,
                charge_each=Amount.of(charge),
                gross=Amount.of(charge * count),
                fee=Amount.of(each_fee * count),
                net=Amount.of((charge - each_fee) * count),
            )
        )
    return CalculatorOut(
        strategy=name,
        fee_bps=fee_bps,
        lines=out_lines,
        gross=Amount.of(gross),
        fee=Amount.of(fee),
        net=Amount.of(gross - fee),
        shares=[
            ShareOut(recipient=r.recipient, role=role_name(r.role), bps=r.bps, amount=Amount.of(t))
            for r, t in zip(recipients, totals, strict=True)
        ],
        cgc_to_listeners=None if cgc is None else Amount.of(cgc),
        assumptions=assumptions,
    )


def splits_out(p: Platform, song_id: str) -> list[SplitOut]:
    return [
        SplitOut(
            recipient=s.recipient, bps=s.bps, role=role_name(int(s.role)), role_code=int(s.role)
        )
        for s in p.sdk.splits(song_id)
    ]


def economy(p: Platform, song_id: str, viewer: str | None) -> EconomyOut:
    sdk = p.sdk
    artist = sdk.song_artist(song_id)
    if artist is None:
        raise Missing(f"song {song_id} is not registered on chain")
    strategy = sdk.song_strategy(song_id)
    sid = bytes.fromhex(song_id[2:])
    who = viewer or "0x" + "00" * 20
    quote: Amount | None = None
    refusal = None
    try:
        fn = sdk.router.functions.quote(
            sid, Web3.to_checksum_address(who), int(PaymentType.STREAM), 0
        )
        quote = Amount.of(int(view(fn)))
    except ContractRevert as exc:
        refusal = exc.reason
    out = EconomyOut(
        song_id=song_id,
        artist=artist,
        strategy=strategy,
        fee_bps=sdk.protocol_fee_bps(),
        splits=splits_out(p, song_id),
        viewer=viewer,
        authorized=sdk.is_authorized(song_id, who),
        stream_quote=quote,
        stream_refusal=refusal,
    )
    known = registry.find(strategy) if strategy is not None else None
    if known is not None:
        terms = known.economy(p, song_id, artist, viewer).model_dump(mode="json")
        out.terms = terms
        if known.economy_field is not None:
            setattr(out, known.economy_field, terms)
    return out


def chain_now(p: Platform) -> datetime:
    """Chain time (dev chains travel in time; the catalogue's times are block times)."""
    return datetime.fromtimestamp(p.chain.w3.eth.get_block("latest")["timestamp"], UTC)

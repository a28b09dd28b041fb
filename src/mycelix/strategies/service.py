"""The strategy catalogue (what each strategy charges and how it is configured, with the
contracts' bounds), the router's distribution rule, the earnings calculator and a song's
live on-chain economics.

Every figure is an exact integer of token units computed with the contracts' own rounding:
a fee or share is rounded down per payment, so a month of `n` equal payments is `n` times
the per-payment figure, never a rounded percentage of a total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from web3 import Web3

from mycelix.chain.distribution import protocol_fee, split_net
from mycelix.chain.errors import ContractRevert
from mycelix.chain.tx import call_errors
from mycelix.chain.units import BPS, DAY, HOUR, ONE, PaymentType
from mycelix.errors import Missing
from mycelix.platform import Platform
from mycelix.schemas import Amount, SplitOut, role_name
from mycelix.sdk.types import AuctionState
from mycelix.strategies.ids import STRATEGY_CONTRACTS, strategy_id
from mycelix.strategies.schemas import (
    AuctionChainOut,
    AuctionOut,
    CalcLine,
    CalculatorIn,
    CalculatorOut,
    ConfigField,
    EconomyOut,
    GiftConfigOut,
    GiftListenerOut,
    GiftOut,
    PatronageOut,
    PatronStateOut,
    PaymentTypeInfo,
    PpsOut,
    PreviewOut,
    ShareOut,
    StrategyOut,
    TierOut,
)

PPS, GIFT, PATRONAGE, AUCTION = (
    "pay-per-stream-v1",
    "gift-economy-v1",
    "patronage-v1",
    "dutch-auction-v1",
)
CONTRACT_OF = {name: contract for contract, name in STRATEGY_CONTRACTS.items()}

# The contracts' constants (tests compare them with the deployed contracts).
DEFAULT_PRICE = 10**16
GIFT_DEFAULTS = {
    "cgc_per_listen": ONE,
    "early_bonus": 10 * ONE,
    "early_threshold": 100,
    "repeat_multiplier_bps": 15_000,
}
MAX_CGC_PER_LISTEN = 100 * ONE
MAX_EARLY_BONUS = 1_000 * ONE
DAILY_CGC_CAP = 10_000 * ONE
REWARD_INTERVAL = HOUR
REPEAT_AFTER = 5
DEFAULT_DISCOUNTS = [0, 500, 1_000, 2_000]
MAX_DISCOUNT_BPS = 5_000
MAX_COMMITMENT = 365 * DAY
PERIOD = 30 * DAY
GRACE = 7 * DAY
MAX_PRICE = 2**96 - 1
MAX_SLOTS = 2**24 - 1
MAX_TIME = 2**64 - 1
MAX_UINT256 = 2**256 - 1


def _pt(kind: PaymentType, charge: str, option: str | None = None) -> PaymentTypeInfo:
    return PaymentTypeInfo(type=kind.name.lower(), code=int(kind), charge=charge, option=option)


_TIP = _pt(PaymentType.TIP, "the whole amount offered (> 0), split like any payment")


@dataclass(frozen=True)
class StrategyInfo:
    title: str
    description: str
    payment_types: list[PaymentTypeInfo]
    config: list[ConfigField]
    rules: dict[str, Any]


def _wei(
    name: str,
    description: str,
    *,
    minimum: int,
    maximum: int,
    default: int | None,
    action: str,
    scope: str = "song",
    unit: str = "wei",
) -> ConfigField:
    return ConfigField(
        name=name,
        type="wei",
        unit=unit,
        scope=scope,
        action=action,
        description=description,
        minimum=str(minimum),
        maximum=str(maximum),
        default=None if default is None else str(default),
    )


CATALOGUE: dict[str, StrategyInfo] = {
    PPS: StrategyInfo(
        title="Pay per stream",
        description="Every play is paid at a price the artist sets per song (0.01 FLOW until "
        "they do). The payment is split instantly among the song's collaborators.",
        payment_types=[
            _pt(PaymentType.STREAM, "the song's price; the offer must be at least the price"),
            _TIP,
        ],
        config=[
            _wei(
                "price",
                "Price of one stream.",
                minimum=1,
                maximum=MAX_UINT256,
                default=DEFAULT_PRICE,
                action="set_price",
            ),
        ],
        rules={"default_price": str(DEFAULT_PRICE)},
    ),
    GIFT: StrategyInfo(
        title="Gift economy",
        description="Listening is free and earns the listener CGC gift credits; early and "
        "loyal listeners earn more. Listeners may tip; tips are split among collaborators "
        "and also earn CGC. Listening more than once per hour earns nothing; the song's "
        "artist and split recipients earn no CGC from it; a song mints at most 10,000 CGC a "
        "day.",
        payment_types=[
            _pt(PaymentType.STREAM, "0 (free); earns CGC"),
            _pt(PaymentType.TIP, "the whole amount offered (> 0); earns CGC"),
        ],
        config=[
            _wei(
                "cgc_per_listen",
                "CGC per rewarded listen.",
                minimum=0,
                maximum=MAX_CGC_PER_LISTEN,
                default=ONE,
                action="configure_gift",
                unit="CGC wei",
            ),
            _wei(
                "early_bonus",
                "Extra CGC on the first listen of each early listener.",
                minimum=0,
                maximum=MAX_EARLY_BONUS,
                default=10 * ONE,
                action="configure_gift",
                unit="CGC wei",
            ),
            ConfigField(
                name="early_threshold",
                type="integer",
                unit="listeners",
                scope="song",
                action="configure_gift",
                minimum=0,
                maximum=2**32 - 1,
                default=100,
                description="How many first unique listeners get the bonus (0: none).",
            ),
            ConfigField(
                name="repeat_multiplier_bps",
                type="bps",
                unit="bps",
                scope="song",
                action="configure_gift",
                minimum=BPS,
                maximum=100_000,
                default=15_000,
                description="Multiplies the reward from a listener's 6th listen on (10000 = x1).",
            ),
        ],
        rules={
            "reward_interval_seconds": REWARD_INTERVAL,
            "repeat_after_listens": REPEAT_AFTER,
            "daily_cgc_cap": str(DAILY_CGC_CAP),
        },
    ),
    PATRONAGE: StrategyInfo(
        title="Patronage",
        description="Listeners support an artist with a monthly fee in one of up to 8 named "
        "tiers; continuous patronage earns loyalty levels 1-4 with renewal discounts. The "
        "artist may keep songs for patrons of exclusive tiers only.",
        payment_types=[
            _pt(
                PaymentType.PATRONAGE,
                "the tier's monthly fee, minus the loyalty discount on renewal",
                option="the tier index",
            ),
            _pt(
                PaymentType.STREAM,
                "0 (free) on public songs and for exclusive-tier patrons; "
                "refused to others on patron-only songs",
            ),
            _TIP,
        ],
        config=[
            ConfigField(
                name="tiers",
                type="array",
                scope="artist",
                action="configure_patronage",
                description="The artist's tiers (replaced as a whole).",
                min_items=1,
                max_items=8,
                items=[
                    ConfigField(
                        name="name",
                        type="string",
                        unit="UTF-8 bytes",
                        scope="artist",
                        action="configure_patronage",
                        minimum=1,
                        maximum=32,
                        description="Tier name.",
                    ),
                    _wei(
                        "fee",
                        "Monthly fee.",
                        minimum=1,
                        maximum=2**128 - 1,
                        default=None,
                        action="configure_patronage",
                        scope="artist",
                    ),
                    ConfigField(
                        name="exclusive",
                        type="boolean",
                        scope="artist",
                        action="configure_patronage",
                        default=False,
                        description="Opens patron-only songs.",
                    ),
                ],
            ),
            ConfigField(
                name="discounts_bps",
                type="array",
                unit="bps",
                scope="artist",
                action="configure_patronage",
                minimum=0,
                maximum=MAX_DISCOUNT_BPS,
                default=DEFAULT_DISCOUNTS,
                min_items=4,
                max_items=4,
                description="Renewal discounts of loyalty levels 1-4, non-decreasing.",
            ),
            ConfigField(
                name="min_commitment",
                type="seconds",
                unit="s",
                scope="artist",
                action="configure_patronage",
                minimum=0,
                maximum=MAX_COMMITMENT,
                default=0,
                description="Time from the start before a patron may cancel.",
            ),
            ConfigField(
                name="patron_only",
                type="boolean",
                scope="song",
                action="set_patron_only",
                default=False,
                description="Only patrons of an exclusive tier may stream the song.",
            ),
        ],
        rules={
            "period_seconds": PERIOD,
            "grace_seconds": GRACE,
            "level_thresholds_days": [90, 180, 365],
            "max_tiers": 8,
        },
    ),
    AUCTION: StrategyInfo(
        title="Dutch auction",
        description="A limited release: N access slots at a price falling linearly from a "
        "start price to a floor. One slot per address; a slot is permanent access.",
        payment_types=[
            _pt(
                PaymentType.ACCESS, "the auction's current price; the offer is the buyer's maximum"
            ),
            _pt(PaymentType.STREAM, "0 (free) for slot holders; refused to others"),
            _TIP,
        ],
        config=[
            _wei(
                "start_price",
                "Price when sales open; above the floor.",
                minimum=1,
                maximum=MAX_PRICE,
                default=None,
                action="create_auction",
            ),
            _wei(
                "floor_price",
                "Price reached at the end.",
                minimum=0,
                maximum=MAX_PRICE - 1,
                default=0,
                action="create_auction",
            ),
            ConfigField(
                name="start_time",
                type="integer",
                unit="unix seconds",
                scope="song",
                action="create_auction",
                minimum=0,
                maximum=MAX_TIME,
                default=0,
                description="When sales open; 0 means now.",
            ),
            ConfigField(
                name="duration",
                type="seconds",
                unit="s",
                scope="song",
                action="create_auction",
                minimum=1,
                maximum=MAX_TIME,
                description="From the start to the floor price.",
            ),
            ConfigField(
                name="slots",
                type="integer",
                unit="slots",
                scope="song",
                action="create_auction",
                minimum=1,
                maximum=MAX_SLOTS,
                description="How many slots are for sale.",
            ),
        ],
        rules={"price": "start - (start - floor) * elapsed // duration (rounded up)"},
    ),
}


def strategies(p: Platform) -> list[StrategyOut]:
    router = p.sdk.router
    out = []
    for name, info in CATALOGUE.items():
        with call_errors("strategy_enabled"):
            enabled = bool(router.functions.strategy_enabled(strategy_id(name)).call())
        out.append(
            StrategyOut(
                name=name,
                strategy_id="0x" + strategy_id(name).hex(),
                contract=p.manifest.addresses[CONTRACT_OF[name]],
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
    if name not in CATALOGUE:
        raise Missing(f"unknown strategy {name!r}; known: {', '.join(CATALOGUE)}")
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
    lines: list[tuple[str, int, int]] = []  # (source, payments, charge each)
    assumptions = [
        "Figures are per month and exact: the fee and every share are rounded down per "
        "payment, as the router does, then multiplied by the number of payments.",
        f"The protocol fee is {fee_bps} bps of every charged payment.",
    ]
    cgc: int | None = None
    if name == PPS:
        price = DEFAULT_PRICE if body.price is None else body.price
        lines.append(("streams", body.monthly_plays, price))
        assumptions.append("Every play is paid at the song's price.")
    elif name == GIFT:
        listens = body.monthly_listeners * body.listens_per_listener
        lines.append(("streams", listens, 0))
        cgc = gift_cgc(body)
        assumptions += [
            "Streams are free; only tips bring money.",
            "CGC: every listen is at least an hour after the listener's previous one (so all "
            "are rewarded), and the song is new, so its first listeners this month are its "
            "first ever (the early bonus goes to the first `early_threshold` of them).",
        ]
    elif name == PATRONAGE:
        discounts = body.discounts_bps or DEFAULT_DISCOUNTS
        for i, tier in enumerate(body.tiers):
            charge = (
                tier.fee if tier.joining else tier.fee - tier.fee * discounts[tier.level - 1] // BPS
            )
            lines.append((f"patronage: {tier.name or f'tier {i}'}", tier.patrons, charge))
        assumptions += [
            "Each patron pays their tier once a month: the full fee when joining, the fee "
            "minus their loyalty level's discount when renewing.",
            "Patron-only and public songs stream for free; patronage is per artist, so this "
            "is the income of all the artist's patronage songs.",
        ]
    elif name == AUCTION:
        clearing = body.clearing_price or 0
        lines.append(("auction slots", body.slots * body.auctions_per_month, clearing))
        assumptions += [
            "Every slot sells at `clearing_price`; in a Dutch auction earlier buyers pay "
            "more, so real revenue is at least this.",
            "Slot holders stream for free.",
        ]
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


def gift_cgc(body: CalculatorIn) -> int:
    """CGC minted in a month by the GiftEconomy contract's reward rule."""
    cgc = GIFT_DEFAULTS["cgc_per_listen"] if body.cgc_per_listen is None else body.cgc_per_listen
    bonus = GIFT_DEFAULTS["early_bonus"] if body.early_bonus is None else body.early_bonus
    threshold = (
        GIFT_DEFAULTS["early_threshold"] if body.early_threshold is None else body.early_threshold
    )
    mult = (
        GIFT_DEFAULTS["repeat_multiplier_bps"]
        if body.repeat_multiplier_bps is None
        else body.repeat_multiplier_bps
    )
    listens = body.listens_per_listener
    if listens == 0 or body.monthly_listeners == 0:
        return 0
    plain = min(listens, REPEAT_AFTER) * cgc
    repeated = max(listens - REPEAT_AFTER, 0) * (cgc * mult // BPS)
    early = min(body.monthly_listeners, threshold) * bonus
    return body.monthly_listeners * (plain + repeated) + early


# -------------------------------------------------------------------- economy


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _view(fn: Any) -> Any:
    with call_errors(getattr(fn, "fn_name", None)):
        return fn.call()


def splits_out(p: Platform, song_id: str) -> list[SplitOut]:
    return [
        SplitOut(
            recipient=s.recipient, bps=s.bps, role=role_name(int(s.role)), role_code=int(s.role)
        )
        for s in p.sdk.splits(song_id)
    ]


def tiers_of(p: Platform, artist: str) -> tuple[list[TierOut], list[int], int]:
    patronage = p.sdk.contract("Patronage")
    who = Web3.to_checksum_address(artist)
    tiers = [
        TierOut(index=i, name=t.name, fee=Amount.of(t.fee), exclusive=t.exclusive)
        for i, t in enumerate(p.sdk.tiers(who))
    ]
    discounts = [int(d) for d in _view(patronage.functions.discounts(who))]
    commitment = int(_view(patronage.functions.min_commitment(who)))
    return tiers, discounts, commitment


def auction_out(p: Platform, song_id: str, viewer: str | None) -> AuctionOut:
    state: AuctionState = p.sdk.auction(song_id)
    holds = None
    if viewer is not None:
        fn = p.sdk.contract("DutchAuction").functions.holds_slot(
            bytes.fromhex(song_id[2:]), Web3.to_checksum_address(viewer)
        )
        holds = bool(_view(fn))
    if state.number == 0:
        return AuctionOut(auction=None, holds_slot=holds)
    return AuctionOut(
        auction=AuctionChainOut(
            number=state.number,
            start_price=Amount.of(state.start_price),
            floor_price=Amount.of(state.floor_price),
            start_time=_time(state.start_time),
            end_time=_time(state.end_time),
            duration=state.duration,
            slots=state.slots,
            sold=state.sold,
            revenue=Amount.of(state.revenue),
            clearing_price=Amount.of(state.clearing_price),
            average_price=Amount.of(state.average_price),
            live=state.live,
            current_price=Amount.of(p.sdk.auction_price(song_id)),
        ),
        holds_slot=holds,
    )


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
        quote = Amount.of(int(_view(fn)))
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
    if strategy == PPS:
        price = int(_view(sdk.contract("PayPerStream").functions.price(sid)))
        out.pay_per_stream = PpsOut(price=Amount.of(price))
    elif strategy == GIFT:
        c = sdk.gift_config(song_id)
        gift = sdk.contract("GiftEconomy")
        out.gift = GiftOut(
            config=GiftConfigOut(
                cgc_per_listen=Amount.of(c.cgc_per_listen),
                early_bonus=Amount.of(c.early_bonus),
                early_threshold=c.early_threshold,
                repeat_multiplier_bps=c.repeat_multiplier_bps,
                configured=c.configured,
            ),
            listener_count=int(_view(gift.functions.listener_count(sid))),
        )
        if viewer is not None:
            prof = sdk.gift_profile(song_id, viewer)
            nxt = int(_view(gift.functions.preview_reward(sid, Web3.to_checksum_address(viewer))))
            out.gift.listener = GiftListenerOut(
                listens=prof.listens,
                last_reward_at=_time(prof.last_reward_at),
                total_earned=Amount.of(prof.total_earned),
                early=prof.early,
                cgc_balance=Amount.of(sdk.cgc_balance(viewer)),
                next_reward=Amount.of(nxt),
            )
    elif strategy == PATRONAGE:
        tiers, discounts, commitment = tiers_of(p, artist)
        patron_only = bool(_view(sdk.contract("Patronage").functions.is_patron_only(sid)))
        out.patronage = PatronageOut(
            patron_only=patron_only,
            tiers=tiers,
            discounts_bps=discounts,
            min_commitment=commitment,
        )
        if viewer is not None:
            st = sdk.patron(artist, viewer)
            out.patronage.patron = PatronStateOut(
                tier=st.tier,
                exclusive=st.exclusive,
                start=_time(st.start),
                paid_until=_time(st.paid_until),
                commitment_end=_time(st.commitment_end),
                cancelled=st.cancelled,
                active=st.active,
                level=st.level,
            )
    elif strategy == AUCTION:
        out.auction = auction_out(p, song_id, viewer)
    return out


def chain_now(p: Platform) -> datetime:
    """Chain time (dev chains travel in time; the catalogue's times are block times)."""
    return datetime.fromtimestamp(p.chain.w3.eth.get_block("latest")["timestamp"], UTC)

"""`POST /api/tx/{action}`: every on-chain action a browser wallet needs, prepared as
`{to, data, value, from, chain_id}` for `eth_sendTransaction`; and `GET /api/tx/approval`.

Nothing is signed or sent here. Every action needs sign-in, and the prepared transaction's
`from` is the signed-in address (the contracts check `msg.sender`, so a transaction sent from
another account fails). Actions on a song's configuration answer 403 unless the signed-in
address is the song's artist of record on the router; configuration actions are dry-run
first, so a transaction the contract would refuse answers 409 with the contract's reason
instead of costing gas. Amounts are decimal strings of wei.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from mycelix.api.deps import CurrentAddress, PlatformDep, rate_limit
from mycelix.api.errors import APIError
from mycelix.chain.units import PaymentType
from mycelix.platform import Platform
from mycelix.schemas import Wei, flow_text, role_name
from mycelix.sdk.types import splits_digest
from mycelix.strategies.ids import strategy_id
from mycelix.transactions import balance, service
from mycelix.transactions.prepare import PreparedTx, encode, prepare_register
from mycelix.transactions.schemas import (
    AcceptSongTx,
    ApprovalOut,
    ApproveIn,
    BatchIn,
    BecomePatronIn,
    BuySlotIn,
    CancelPatronageIn,
    ChangeStrategyIn,
    ConfigureGiftIn,
    ConfigurePatronageIn,
    ConfigureSplitsIn,
    CreateAuctionIn,
    FaucetIn,
    OfferSongIn,
    PayIn,
    RegisterSongIn,
    SetPatronOnlyIn,
    SetPriceIn,
    SongBody,
    StreamIn,
    TipIn,
    WalletTx,
    WithdrawIn,
)

router = APIRouter(
    prefix="/api/tx",
    tags=["transactions"],
    dependencies=[Depends(rate_limit("tx", 300))],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not the song's artist of record"},
        404: {"description": "Song not registered on chain"},
        409: {"description": "The contract would refuse this transaction (reason given)"},
        422: {"description": "Invalid body"},
    },
)

ROUTER = "EconomicStrategyRouter"


def _sid(song_id: str) -> bytes:
    return bytes.fromhex(song_id[2:])


def _checked(p: Platform, tx: PreparedTx) -> WalletTx:
    service.simulate(p, tx)
    return WalletTx.of(tx)


def _payment(
    p: Platform,
    who: str,
    song_id: str,
    amount: int,
    kind: PaymentType,
    option: int,
    *,
    action: str,
    description: str,
) -> WalletTx:
    tx = encode(
        p,
        ROUTER,
        "pay",
        [_sid(song_id), amount, int(kind), option],
        action=action,
        description=description,
        sender=who,
    )
    return WalletTx.of(tx, amount=amount)


# ------------------------------------------------------------------- artist


@router.post("/register_song")
def register_song(body: RegisterSongIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Register a song on the router under a strategy. The router derives the song's id from
    the sender and a salt (keccak256(artist ‖ salt)), so the signed-in address becomes the
    artist of an id nobody else can take: for a song described here the salt is the content
    hash of its audio; otherwise pass any 32-byte `salt`."""
    salt = service.registration_salt(p, who, body.song_id, body.salt)
    return _checked(p, prepare_register(p, salt, body.strategy, who))


@router.post("/change_strategy")
def change_strategy(body: ChangeStrategyIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Move a song to another strategy (artist only); splits are kept."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        ROUTER,
        "change_strategy",
        [_sid(body.song_id), strategy_id(body.strategy)],
        action="change_strategy",
        description=f"move the song to {body.strategy}",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/offer_song")
def offer_song(body: OfferSongIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Offer the song to a new artist of record (artist only; replaces a pending offer).
    Nothing changes until the new artist accepts it (`/api/tx/accept_song`)."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        ROUTER,
        "offer_song",
        [_sid(body.song_id), body.new_artist],
        action="offer_song",
        description=f"offer the song to {body.new_artist}; they become its artist on accepting",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/accept_song")
def accept_song(body: SongBody, p: PlatformDep, who: CurrentAddress) -> AcceptSongTx:
    """Accept a song offered to the signed-in address, inheriting the splits listed in the
    answer: the transaction carries their digest, so it reverts if they change first."""
    previous = service.registered_artist(p, body.song_id)
    pending = p.sdk.pending_artist(body.song_id)
    if pending is None or pending.lower() != who.lower():
        raise APIError(403, "the song is not offered to you", "not_offered")
    splits = p.sdk.configured_splits(body.song_id)
    digest = splits_digest(splits)
    tx = encode(
        p,
        ROUTER,
        "accept_song",
        [_sid(body.song_id), digest],
        action="accept_song",
        description=(
            f"become the song's artist, inheriting {len(splits)} configured split(s)"
            if splits
            else "become the song's artist, receiving all of its income (no splits configured)"
        ),
        sender=who,
    )
    service.simulate(p, tx)
    return AcceptSongTx.model_validate(
        {
            **WalletTx.of(tx).model_dump(),
            "previous_artist": previous,
            "splits": [
                {
                    "recipient": s.recipient,
                    "bps": s.bps,
                    "role": role_name(int(s.role)),
                    "role_code": int(s.role),
                }
                for s in splits
            ],
            "splits_digest": "0x" + digest.hex(),
        }
    )


@router.post("/cancel_song_transfer")
def cancel_song_transfer(body: SongBody, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Withdraw the song's pending offer (artist only)."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        ROUTER,
        "cancel_song_transfer",
        [_sid(body.song_id)],
        action="cancel_song_transfer",
        description="cancel the song's pending transfer",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/configure_splits")
def configure_splits(body: ConfigureSplitsIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Set how the song's income is divided (artist only, once: afterwards the artist alone
    cannot change it, which protects collaborators)."""
    service.require_artist(p, body.song_id, who)
    splits = body.splits
    tx = encode(
        p,
        ROUTER,
        "configure_splits",
        [
            _sid(body.song_id),
            [s.recipient for s in splits],
            [s.bps for s in splits],
            [s.role.code for s in splits],
        ],
        action="configure_splits",
        description=f"split the song's income among {len(splits)} recipient(s), permanently",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/set_price")
def set_price(body: SetPriceIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Set the per-stream price of a pay-per-stream song (artist only)."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        "PayPerStream",
        "set_price",
        [_sid(body.song_id), body.price],
        action="set_price",
        description=f"set the stream price to {flow_text(body.price)} FLOW",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/configure_gift")
def configure_gift(body: ConfigureGiftIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Configure a gift-economy song's CGC rewards (artist only; may be changed any time)."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        "GiftEconomy",
        "configure",
        [
            _sid(body.song_id),
            body.cgc_per_listen,
            body.early_bonus,
            body.early_threshold,
            body.repeat_multiplier_bps,
        ],
        action="configure_gift",
        description="configure the song's gift-economy rewards",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/configure_patronage")
def configure_patronage(
    body: ConfigurePatronageIn, p: PlatformDep, who: CurrentAddress
) -> WalletTx:
    """Set (or replace) the signed-in artist's own patron tiers, loyalty discounts and
    minimum commitment. Patronage is per artist, so no song is involved."""
    tx = encode(
        p,
        "Patronage",
        "configure",
        [
            [t.name for t in body.tiers],
            [t.fee for t in body.tiers],
            [t.exclusive for t in body.tiers],
            body.discounts_bps or [],
            body.min_commitment,
        ],
        action="configure_patronage",
        description=f"set {len(body.tiers)} patron tier(s)",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/set_patron_only")
def set_patron_only(body: SetPatronOnlyIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Open a patronage song to exclusive-tier patrons only, or to everyone (artist only)."""
    service.require_artist(p, body.song_id, who)
    what = "patron-only" if body.patron_only else "open to everyone"
    tx = encode(
        p,
        "Patronage",
        "set_patron_only",
        [_sid(body.song_id), body.patron_only],
        action="set_patron_only",
        description=f"make the song {what}",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/create_auction")
def create_auction(body: CreateAuctionIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Start a Dutch auction of access slots (artist only; the song must use the
    dutch-auction strategy and have no live auction)."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        "DutchAuction",
        "create_auction",
        [
            _sid(body.song_id),
            body.start_price,
            body.floor_price,
            body.start_time,
            body.duration,
            body.slots,
        ],
        action="create_auction",
        description=(
            f"auction {body.slots} slot(s) from {flow_text(body.start_price)} down to "
            f"{flow_text(body.floor_price)} FLOW over {body.duration} s"
        ),
        sender=who,
    )
    return _checked(p, tx)


@router.post("/end_auction")
def end_auction(body: SongBody, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """End the song's live auction now (artist only); buyers keep their slots."""
    service.require_artist(p, body.song_id, who)
    tx = encode(
        p,
        "DutchAuction",
        "end_auction",
        [_sid(body.song_id)],
        action="end_auction",
        description="end the song's auction now",
        sender=who,
    )
    return _checked(p, tx)


# ----------------------------------------------------------------- listener


@router.post("/approve")
def approve(body: ApproveIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Allow the router to pull up to `amount` FLOW for payments (ERC-20 approve)."""
    tx = encode(
        p,
        "FlowToken",
        "approve",
        [p.manifest.router, body.amount],
        action="approve",
        description=f"allow the router to spend up to {flow_text(body.amount)} FLOW",
        sender=who,
    )
    return WalletTx.of(tx)


@router.post("/pay")
def pay(body: PayIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """A raw router payment: offer `amount` with a payment type; the song's strategy decides
    the charge (never more than the offer)."""
    service.registered_artist(p, body.song_id)
    return _payment(
        p,
        who,
        body.song_id,
        body.amount,
        body.payment_type.ordinal,
        body.option,
        action="pay",
        description=f"pay up to {flow_text(body.amount)} FLOW ({body.payment_type.value})",
    )


@router.post("/stream")
def stream(body: StreamIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Pay for one play. The offer is the price the listener was shown: `max_price`, or else
    the song's `stream_price` as the API lists it (indexed; zero where the strategy makes the
    play free: gift economy, patrons, slot holders). 409 `price_changed` if the chain asks
    more now; a charge above the offer reverts on chain, so a price raised after the listener
    looked is never taken."""
    price = service.quote(p, body.song_id, who, PaymentType.STREAM)
    offer = service.displayed_price(p, body.song_id) if body.max_price is None else body.max_price
    if offer < price:
        raise APIError(
            409, f"the price is now {price} wei, above the {offer} wei shown", "price_changed"
        )
    return _payment(
        p,
        who,
        body.song_id,
        offer,
        PaymentType.STREAM,
        0,
        action="stream",
        description=f"pay {flow_text(offer)} FLOW for one play",
    )


@router.post("/tip")
def tip(body: TipIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Tip a song; the tip is split among its collaborators like any payment."""
    service.registered_artist(p, body.song_id)
    return _payment(
        p,
        who,
        body.song_id,
        body.amount,
        PaymentType.TIP,
        0,
        action="tip",
        description=f"tip {flow_text(body.amount)} FLOW",
    )


@router.post("/batch")
def batch(body: BatchIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Pay one play of each song in one transaction, each offering the song's price as the
    API lists it (`stream_price`, indexed; 409 `price_changed` if the chain asks more now)."""
    offers = []
    for s in body.song_ids:
        price = service.quote(p, s, who, PaymentType.STREAM)
        offer = service.displayed_price(p, s)
        if offer < price:
            raise APIError(
                409,
                f"song {s} now costs {price} wei, above the {offer} wei shown",
                "price_changed",
            )
        offers.append(offer)
    requests = [
        (_sid(s), offer, int(PaymentType.STREAM), 0)
        for s, offer in zip(body.song_ids, offers, strict=True)
    ]
    total = sum(offers)
    tx = encode(
        p,
        ROUTER,
        "pay_batch",
        [requests],
        action="batch",
        description=f"pay {len(requests)} play(s) for {flow_text(total)} FLOW in total",
        sender=who,
    )
    return WalletTx.of(tx, amount=total)


@router.post("/become_patron")
def become_patron(body: BecomePatronIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Join or renew the patronage of the song's artist at `tier`. The offer is the fee the
    patron was shown (`max_amount`), or else the fee quoted now (loyalty discount included on
    renewal) and shown in the answer; a higher charge reverts on chain."""
    fee = service.quote(p, body.song_id, who, PaymentType.PATRONAGE, body.tier)
    if body.max_amount is not None:
        if fee > body.max_amount:
            raise APIError(
                409, f"the fee is {fee} wei, above max_amount {body.max_amount}", "price_changed"
            )
        fee = body.max_amount
    return _payment(
        p,
        who,
        body.song_id,
        fee,
        PaymentType.PATRONAGE,
        body.tier,
        action="become_patron",
        description=f"pay {flow_text(fee)} FLOW for 30 days of patronage (tier {body.tier})",
    )


@router.post("/cancel_patronage")
def cancel_patronage(body: CancelPatronageIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Stop supporting an artist (no refund: access lasts until the paid-until date)."""
    tx = encode(
        p,
        "Patronage",
        "cancel",
        [body.artist],
        action="cancel_patronage",
        description=f"cancel patronage of {body.artist}",
        sender=who,
    )
    return _checked(p, tx)


@router.post("/buy_slot")
def buy_slot(body: BuySlotIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Buy one slot of the song's auction at the current price, if it is at most `max_price`.
    The transaction names the auction (`auction_number`: the one the buyer was shown, default
    the latest), so it reverts if that auction ended or was replaced before it is mined."""
    service.registered_artist(p, body.song_id)
    number = body.auction_number or p.sdk.auction_number(body.song_id)
    if number == 0:
        raise APIError(409, "the song has no auction", "no_auction")
    price = service.quote(p, body.song_id, who, PaymentType.ACCESS, number)
    if price > body.max_price:
        raise APIError(
            409,
            f"the current price {price} wei is above max_price {body.max_price}",
            "price_changed",
        )
    return _payment(
        p,
        who,
        body.song_id,
        body.max_price,
        PaymentType.ACCESS,
        number,
        action="buy_slot",
        description=(
            f"buy a slot of auction #{number} for at most {flow_text(body.max_price)} FLOW"
        ),
    )


@router.post("/withdraw")
def withdraw(p: PlatformDep, who: CurrentAddress, body: WithdrawIn | None = None) -> WalletTx:
    """Withdraw all of the signed-in address's credited earnings."""
    owed = p.sdk.credits(who)
    if owed == 0:
        raise APIError(409, "nothing to withdraw", "nothing_to_withdraw")
    tx = encode(
        p,
        ROUTER,
        "withdraw",
        [],
        action="withdraw",
        description=f"withdraw {flow_text(owed)} FLOW of earnings",
        sender=who,
    )
    return WalletTx.of(tx)


@router.post("/faucet", responses={404: {"description": "No faucet on this chain"}})
def faucet(body: FaucetIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Mint dev FLOW to the signed-in address (dev chains only)."""
    limit = service.faucet_limit(p)
    if limit == 0:
        raise APIError(404, "there is no FLOW faucet on this chain")
    if body.amount > limit:
        raise APIError(
            422, f"amount: the faucet mints at most {limit} wei per call", "invalid_request"
        )
    tx = encode(
        p,
        "FlowToken",
        "faucet",
        [body.amount],
        action="faucet",
        description=f"mint {flow_text(body.amount)} dev FLOW",
        sender=who,
    )
    return WalletTx.of(tx)


# --------------------------------------------------------------------- reads


@router.get("/approval")
def approval(
    p: PlatformDep,
    who: CurrentAddress,
    amount: Annotated[Wei, Query(description="The payment about to be made, wei.")],
) -> ApprovalOut:
    """Whether the signed-in address must approve the router before paying `amount`, with
    the approve transaction to send when it must."""
    current = service.allowance(p, who)
    balance = p.sdk.flow_balance(who)
    needs = current < amount
    tx = None
    if needs:
        tx = WalletTx.of(
            encode(
                p,
                "FlowToken",
                "approve",
                [p.manifest.router, amount],
                action="approve",
                description=f"allow the router to spend up to {flow_text(amount)} FLOW",
                sender=who,
            )
        )
    return ApprovalOut(
        owner=who,
        spender=p.manifest.router,
        amount=str(amount),
        allowance=str(current),
        balance=str(balance),
        needs_approval=needs,
        sufficient_balance=balance >= amount,
        approve_tx=tx,
    )


# The listener balance's actions (deposit) live in their own module.
router.include_router(balance.router)

"""`Mycelix`: a typed client over a deployment manifest, acting as one account.

Amounts are `int` token units (wei) or `Decimal` FLOW, never floats. A payment never offers more
than the caller's explicit maximum or, without one, the live quote within the client's configured
`max_payment`; when the allowance is short it is dry-run first and the router is approved only
for what the payment will pull, so a refused payment leaves no `approve` behind. A contract
revert raises `ContractRevert` carrying the contract's reason; an unreachable chain raises
`ChainConnectionError`; input refused before anything is sent raises `InvalidInput`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from mycelix.chain import artifacts
from mycelix.chain.errors import ContractRevert, InvalidInput
from mycelix.chain.manifest import Manifest
from mycelix.chain.tx import Sender, call_errors
from mycelix.chain.units import BPS, PaymentType
from mycelix.sdk.balance import ListenerBalance
from mycelix.sdk.events import EventDecoder
from mycelix.sdk.types import (
    Amount,
    AuctionState,
    ChainEvent,
    GiftConfig,
    GiftProfile,
    PatronState,
    Share,
    Split,
    Tier,
    address,
    amount_wei,
    salt,
    song_id,
    song_id_for,
    splits_digest,
)
from mycelix.strategies import registry
from mycelix.strategies.ids import strategy_id

MAX_SPLITS = 64
MAX_BATCH = 128
# The default `max_payment`: what one stream, batched play or patronage fee may cost when the
# caller names no maximum (100x the default stream price; above every tier of the demo).
DEFAULT_MAX_PAYMENT = 100 * 10**18
# keccak256(abi_encode([], [], [])): the router's `splits_digest` of a song without configured
# splits, whose income follows the artist of record.
NO_SPLITS_DIGEST = splits_digest([])
SongRef = str | bytes
SaltRef = str | bytes
# Dry-run refusals that mean "the strategy accepted; only the token pull failed", which an
# approve fixes.
_PULL_REFUSALS = ("erc20:", "router: token transfer failed")


class Mycelix:
    """Client for one account on one deployment."""

    def __init__(
        self,
        w3: Web3,
        manifest: Manifest,
        account: LocalAccount,
        *,
        max_payment: Amount = DEFAULT_MAX_PAYMENT,
    ) -> None:
        """Bind to `manifest`'s contracts on `w3`, signing as `account`. `max_payment` is the
        most a stream, batched play or patronage fee may cost when the call names no maximum
        (int wei or Decimal FLOW)."""
        self.w3 = w3
        self.manifest = manifest
        self.max_payment = amount_wei(max_payment, what="max_payment")
        self.sender = _sender_for(w3, account)
        self._contracts: dict[str, Contract] = {}
        self._decoder: EventDecoder | None = None
        self.balance = ListenerBalance(self)

    # ------------------------------------------------------------------ plumbing

    @property
    def address(self) -> ChecksumAddress:
        """The account this client signs for."""
        return self.sender.address

    def as_account(self, account: LocalAccount) -> Mycelix:
        """A client for another account on the same chain and deployment."""
        return Mycelix(self.w3, self.manifest, account, max_payment=self.max_payment)

    def contract(self, name: str) -> Contract:
        """The web3 contract object of a deployed contract (e.g. "EconomicStrategyRouter")."""
        if name not in self._contracts:
            abi = artifacts.load(name).abi
            self._contracts[name] = self.w3.eth.contract(
                address=self.manifest.addresses[name], abi=abi
            )
        return self._contracts[name]

    @property
    def router(self) -> Contract:
        return self.contract("EconomicStrategyRouter")

    @property
    def token(self) -> Contract:
        return self.contract("FlowToken")

    def _strategy(self, registry_name: str) -> Contract:
        strategy = registry.find(registry_name)
        if strategy is None:
            raise InvalidInput(
                f"unknown strategy {registry_name!r}; known: {', '.join(registry.names())}"
            )
        return self.contract(strategy.contract)

    def _send(self, call: Any) -> TxReceipt:
        return self.sender.transact(call)

    def _view(self, call: Any) -> Any:
        with call_errors(getattr(call, "fn_name", None)):
            return call.call()

    # ------------------------------------------------------------------ artist

    def register_song(self, salt_value: SaltRef, strategy: str) -> TxReceipt:
        """Register a song of this account under a strategy registry name (one of
        `mycelix.strategies.registry.names()`). The router derives the song's id from the
        sender and the 32-byte `salt_value` (`song_id_for(address, salt)`, here
        `self.song_id_of(salt)`), so an id can only ever belong to the account it was derived
        from. Make salts with `salt_for(text)`, or `content_salt(audio_cid)` for a song
        uploaded to a platform."""
        return self._send(
            self.router.functions.register_song(salt(salt_value), strategy_id(strategy))
        )

    def song_id_of(self, salt_value: SaltRef, artist: str | None = None) -> bytes:
        """The id of the song `artist` (default: this account) registers with `salt_value`."""
        return song_id_for(artist if artist is not None else self.address, salt_value)

    def change_strategy(self, song: SongRef, strategy: str) -> TxReceipt:
        """Move a song to another registered strategy (artist only)."""
        return self._send(
            self.router.functions.change_strategy(song_id(song), strategy_id(strategy))
        )

    def offer_song(self, song: SongRef, new_artist: str) -> TxReceipt:
        """Offer a song to a new artist of record (artist only; replaces a pending offer).
        Nothing changes until they accept it with `accept_song`."""
        to = address(new_artist)
        if int(to, 16) == 0:
            raise InvalidInput("the new artist cannot be the zero address")
        if to == self.address:
            raise InvalidInput("a song cannot be offered to its own artist")
        return self._send(self.router.functions.offer_song(song_id(song), to))

    def accept_song(self, song: SongRef, splits: Sequence[Split] | None = None) -> TxReceipt:
        """Become the artist of record of a song offered to this account, inheriting exactly
        `splits`: the splits you were shown (default: `configured_splits(song)` read now). The
        router refuses ("router: splits changed") if the song's splits are not those."""
        shown = self.configured_splits(song) if splits is None else list(splits)
        return self._send(self.router.functions.accept_song(song_id(song), splits_digest(shown)))

    def cancel_song_transfer(self, song: SongRef) -> TxReceipt:
        """Withdraw a pending offer of a song (artist only)."""
        return self._send(self.router.functions.cancel_song_transfer(song_id(song)))

    def pending_artist(self, song: SongRef) -> ChecksumAddress | None:
        """The account a song is offered to, or None without a pending offer."""
        who = self._view(self.router.functions.pending_artist(song_id(song)))
        return None if int(who, 16) == 0 else Web3.to_checksum_address(who)

    def configure_splits(self, song: SongRef, splits: Sequence[Split]) -> TxReceipt:
        """Set a song's splits once (artist only). Checked here first: 1-64 recipients, no zero
        address, each share > 0, shares summing to 10000."""
        if not 0 < len(splits) <= MAX_SPLITS:
            raise InvalidInput(f"a split needs 1 to {MAX_SPLITS} recipients, got {len(splits)}")
        recipients = [address(s.recipient) for s in splits]
        if any(int(r, 16) == 0 for r in recipients):
            raise InvalidInput("Recipient cannot be zero address")
        if any(s.bps <= 0 for s in splits):
            raise InvalidInput("every share must be at least 1 basis point")
        if sum(s.bps for s in splits) != BPS:
            raise InvalidInput("Basis points must sum to 10000")
        return self._send(
            self.router.functions.configure_splits(
                song_id(song), recipients, [s.bps for s in splits], [int(s.role) for s in splits]
            )
        )

    def set_price(self, song: SongRef, price: Amount) -> TxReceipt:
        """Set the per-stream price of a pay-per-stream song (artist only)."""
        wei = amount_wei(price, what="price")
        if wei == 0:
            raise InvalidInput("price must be greater than 0")
        return self._send(self.contract("PayPerStream").functions.set_price(song_id(song), wei))

    def configure_gift(
        self,
        song: SongRef,
        *,
        cgc_per_listen: Amount,
        early_bonus: Amount = 0,
        early_threshold: int = 0,
        repeat_multiplier_bps: int = BPS,
    ) -> TxReceipt:
        """Configure a gift-economy song's CGC rewards (artist only)."""
        if repeat_multiplier_bps < BPS:
            raise InvalidInput("Multiplier must be >= 10000")
        return self._send(
            self.contract("GiftEconomy").functions.configure(
                song_id(song),
                amount_wei(cgc_per_listen, what="cgc_per_listen"),
                amount_wei(early_bonus, what="early_bonus"),
                early_threshold,
                repeat_multiplier_bps,
            )
        )

    def configure_patronage(
        self,
        tiers: Sequence[Tier],
        *,
        discounts_bps: Sequence[int] = (0, 500, 1_000, 2_000),
        min_commitment: int = 0,
    ) -> TxReceipt:
        """Set this artist's patron tiers (up to 8), loyalty discounts for levels 1-4 and the
        minimum commitment in seconds."""
        if not 0 < len(tiers) <= 8:
            raise InvalidInput(f"patronage needs 1 to 8 tiers, got {len(tiers)}")
        return self._send(
            self.contract("Patronage").functions.configure(
                [t.name for t in tiers],
                [amount_wei(t.fee, what="tier fee") for t in tiers],
                [t.exclusive for t in tiers],
                list(discounts_bps),
                min_commitment,
            )
        )

    def set_patron_only(self, song: SongRef, patron_only: bool = True) -> TxReceipt:
        """Open a patronage song to exclusive-tier patrons only, or to everyone (artist only)."""
        return self._send(
            self.contract("Patronage").functions.set_patron_only(song_id(song), patron_only)
        )

    def create_auction(
        self,
        song: SongRef,
        *,
        start_price: Amount,
        floor_price: Amount,
        duration: int,
        slots: int,
        start_time: int = 0,
    ) -> TxReceipt:
        """Start a Dutch auction of `slots` access slots (artist only); `start_time` 0 is now."""
        return self._send(
            self.contract("DutchAuction").functions.create_auction(
                song_id(song),
                amount_wei(start_price, what="start_price"),
                amount_wei(floor_price, what="floor_price"),
                start_time,
                duration,
                slots,
            )
        )

    def end_auction(self, song: SongRef) -> TxReceipt:
        """End a song's live auction now (artist only); buyers keep their slots."""
        return self._send(self.contract("DutchAuction").functions.end_auction(song_id(song)))

    # ---------------------------------------------------------------- listener

    def ensure_allowance(self, amount: int) -> None:
        """Approve the router for `amount` if the current allowance is short."""
        if self.allowance() < amount:
            self.approve(amount)

    def approve(self, amount: Amount) -> TxReceipt:
        """Set the router's allowance over this account's FLOW to exactly `amount`."""
        return self._send(self.token.functions.approve(self.manifest.router, amount_wei(amount)))

    def allowance(self, who: str | None = None) -> int:
        """How much the router may pull from `who` (default: this account), in wei."""
        owner = address(who) if who else self.address
        return int(self._view(self.token.functions.allowance(owner, self.manifest.router)))

    def _allow(self, call: Any, pulled: int) -> None:
        """Make sure the router may pull `pulled` for `call`. When an approve is needed, `call`
        is dry-run first: a refusal other than the token pull raises (nothing is mined), and
        the approve is for `pulled` only."""
        if pulled == 0 or self.allowance() >= pulled:
            return  # a refusal then surfaces when the payment is estimated, before sending
        try:
            with call_errors(getattr(call, "fn_name", None)):
                call.call({"from": self.address})
        except ContractRevert as exc:
            if not exc.reason.startswith(_PULL_REFUSALS):
                raise
        self.approve(pulled)

    def _within(self, charge: int, cap: int, what: str) -> int:
        if charge > cap:
            raise InvalidInput(
                f"{what} costs {charge} wei now, above the maximum of {cap} wei "
                "(pass an explicit maximum to pay more)"
            )
        return charge

    def pay(
        self, song: SongRef, amount: Amount, payment_type: PaymentType, option: int = 0
    ) -> TxReceipt:
        """Offer `amount` for a song: the strategy decides the charge, and the router reverts
        a charge above the offer. A TIP is charged the whole offer; other types what the
        router quotes."""
        wei = amount_wei(amount)
        kind = PaymentType(payment_type)
        sid = song_id(song)
        call = self.router.functions.pay(sid, wei, int(kind), option)
        pulled = wei if kind == PaymentType.TIP else min(wei, self.quote(sid, kind, option))
        if pulled:
            balance = self.flow_balance()
            if balance < pulled:
                raise InvalidInput(f"Insufficient balance: {balance} wei, payment needs {pulled}")
            self._allow(call, pulled)
        return self._send(call)

    def stream(
        self, song: SongRef, max_price: Amount | None = None, *, from_balance: bool | None = None
    ) -> TxReceipt:
        """Pay for one play (free where the strategy says so). With `max_price` the offer is
        that maximum; without, it is the live quote if within `max_payment`. Paid from this
        account's router balance (`balance`, one transaction, no token transfer) when the
        balance covers the charge, unless `from_balance=False`; `from_balance=True` insists."""
        price = self.quote(song, PaymentType.STREAM)
        if max_price is None:
            offer = self._within(price, self.max_payment, "a play")
        else:
            offer = amount_wei(max_price, what="max_price")
        if from_balance or (from_balance is None and price and self.balance.covers(price)):
            return self.balance.pay(song, offer)
        return self.pay(song, offer, PaymentType.STREAM)

    def tip(self, song: SongRef, amount: Amount) -> TxReceipt:
        """Tip a song's collaborators (split like any payment)."""
        if amount_wei(amount) == 0:
            raise InvalidInput("Amount must be greater than 0")
        return self.pay(song, amount, PaymentType.TIP)

    def batch_stream(self, songs: Iterable[SongRef], max_price: Amount | None = None) -> TxReceipt:
        """Pay one stream of each song in one transaction. Each play offers `max_price` if
        given, else its live quote if within `max_payment`."""
        ids = [song_id(s) for s in songs]
        if not 0 < len(ids) <= MAX_BATCH:
            raise InvalidInput(f"a batch holds 1 to {MAX_BATCH} payments, got {len(ids)}")
        quotes = [self.quote(s, PaymentType.STREAM) for s in ids]
        if max_price is None:
            offers = [self._within(q, self.max_payment, "a play") for q in quotes]
        else:
            offers = [amount_wei(max_price, what="max_price")] * len(ids)
        requests = [(s, o, int(PaymentType.STREAM), 0) for s, o in zip(ids, offers, strict=True)]
        call = self.router.functions.pay_batch(requests)
        pulled = sum(min(q, o) for q, o in zip(quotes, offers, strict=True))
        if pulled:
            self._allow(call, pulled)
        return self._send(call)

    def become_patron(
        self, song: SongRef, tier: int, max_amount: Amount | None = None
    ) -> TxReceipt:
        """Join, or renew, the patronage of a song's artist at `tier` (price set by the artist,
        loyalty discount applied on renewal). The offer is `max_amount` if given, else the
        live quote if within `max_payment`."""
        if max_amount is not None:
            return self.pay(song, max_amount, PaymentType.PATRONAGE, tier)
        fee = self.quote(song, PaymentType.PATRONAGE, tier)
        offer = self._within(fee, self.max_payment, "this patronage")
        return self.pay(song, offer, PaymentType.PATRONAGE, tier)

    renew_patronage = become_patron

    def cancel_patronage(self, artist: str) -> TxReceipt:
        """Stop patronage of `artist` (no refund; access lasts to the paid-until date)."""
        return self._send(self.contract("Patronage").functions.cancel(address(artist)))

    def buy_slot(
        self, song: SongRef, max_price: Amount, *, auction_number: int | None = None
    ) -> TxReceipt:
        """Buy one slot of the song's auction number `auction_number` (default: the latest,
        read now) at its current price, if that is at most `max_price`. The purchase reverts
        if that auction ended or was replaced meanwhile."""
        number = self.auction_number(song) if auction_number is None else auction_number
        if number <= 0:
            raise InvalidInput("the song has no auction (auction numbers start at 1)")
        return self.pay(song, max_price, PaymentType.ACCESS, number)

    # ------------------------------------------------------------------- money

    def withdraw(self) -> int:
        """Withdraw all of this account's credited earnings; returns the amount."""
        owed = self.credits()
        self._send(self.router.functions.withdraw())
        return owed

    def credits(self, who: str | None = None) -> int:
        """Withdrawable earnings of `who` (default: this account), in wei."""
        return int(self._view(self.router.functions.credits(address(who) if who else self.address)))

    def flow_balance(self, who: str | None = None) -> int:
        """Payment-token balance, in wei."""
        return int(
            self._view(self.token.functions.balanceOf(address(who) if who else self.address))
        )

    def cgc_balance(self, who: str | None = None) -> int:
        """CGC gift-credit balance, in wei."""
        gc = self.contract("GiftCredits")
        return int(self._view(gc.functions.balanceOf(address(who) if who else self.address)))

    def faucet(self, amount: Amount) -> TxReceipt:
        """Mint dev FLOW to this account (dev deployments only)."""
        return self._send(self.token.functions.faucet(amount_wei(amount)))

    # ------------------------------------------------------------------- views

    def quote(self, song: SongRef, payment_type: PaymentType, option: int = 0) -> int:
        """What a payment of this type would be charged now."""
        return int(
            self._view(
                self.router.functions.quote(song_id(song), self.address, int(payment_type), option)
            )
        )

    def preview_splits(self, song: SongRef, amount: Amount) -> tuple[int, list[Share]]:
        """The protocol fee and each recipient's credit for a charge of `amount`."""
        fee, shares = self._view(
            self.router.functions.preview_distribution(song_id(song), amount_wei(amount))
        )
        return int(fee), [Share(Web3.to_checksum_address(r), int(a)) for r, a in shares]

    def splits(self, song: SongRef) -> list[Split]:
        """A song's splits (100 % to the artist until configured)."""
        return [
            Split(Web3.to_checksum_address(r), int(b), int(o))
            for r, b, o in self._view(self.router.functions.splits(song_id(song)))
        ]

    def configured_splits(self, song: SongRef) -> list[Split]:
        """A song's configured splits; empty if none are configured (its income then follows
        the artist of record). Their `splits_digest` is what `accept_song` passes."""
        digest = bytes(self._view(self.router.functions.splits_digest(song_id(song))))
        return [] if digest == NO_SPLITS_DIGEST else self.splits(song)

    def song_artist(self, song: SongRef) -> ChecksumAddress | None:
        """The artist of record, or None for an unregistered song."""
        artist = self._view(self.router.functions.song_artist(song_id(song)))
        return None if int(artist, 16) == 0 else Web3.to_checksum_address(artist)

    def song_strategy(self, song: SongRef) -> str | None:
        """The registry name of a song's strategy, or None if unregistered."""
        sid = bytes(self._view(self.router.functions.song_strategy_id(song_id(song))))
        found = registry.by_id(sid)
        return None if found is None else found.name

    def is_authorized(self, song: SongRef, listener: str | None = None) -> bool:
        """Whether `listener` may stream the song now without paying for the play."""
        who = address(listener) if listener else self.address
        return bool(self._view(self.router.functions.is_authorized(song_id(song), who)))

    def gift_config(self, song: SongRef) -> GiftConfig:
        """A gift-economy song's effective reward configuration."""
        return GiftConfig(*self._view(self.contract("GiftEconomy").functions.config(song_id(song))))

    def gift_profile(self, song: SongRef, listener: str | None = None) -> GiftProfile:
        """A listener's rewarded listens and CGC earned on a gift-economy song."""
        who = address(listener) if listener else self.address
        return GiftProfile(
            *self._view(self.contract("GiftEconomy").functions.profile(song_id(song), who))
        )

    def tiers(self, artist: str) -> list[Tier]:
        """An artist's patron tiers."""
        return [
            Tier(n, int(f), bool(e))
            for n, f, e in self._view(self.contract("Patronage").functions.tiers(address(artist)))
        ]

    def patron(self, artist: str, patron: str | None = None) -> PatronState:
        """A patron's standing with an artist (tier, dates, loyalty level, active)."""
        who = address(patron) if patron else self.address
        return PatronState(
            *self._view(self.contract("Patronage").functions.patron(address(artist), who))
        )

    def auction(self, song: SongRef) -> AuctionState:
        """A song's latest auction (all zero if it never had one)."""
        return AuctionState(
            *self._view(self.contract("DutchAuction").functions.auction(song_id(song)))
        )

    def auction_number(self, song: SongRef) -> int:
        """The number of the song's latest auction (from 1; 0 if it never had one)."""
        return int(
            self._view(self.contract("DutchAuction").functions.auction_number(song_id(song)))
        )

    def auction_price(self, song: SongRef) -> int:
        """The auction's price now."""
        return int(self._view(self.contract("DutchAuction").functions.current_price(song_id(song))))

    def protocol_fee_bps(self) -> int:
        """The router's protocol fee in basis points."""
        return int(self._view(self.router.functions.fee_bps()))

    # ------------------------------------------------------------------ events

    def events(
        self, from_block: int | None = None, to_block: int | None = None
    ) -> Iterator[ChainEvent]:
        """Every event of the deployment's contracts in a block range, in chain order."""
        if self._decoder is None:
            self._decoder = EventDecoder(self.w3, self.manifest)
        start = self.manifest.deployment_block if from_block is None else from_block
        end = self.w3.eth.block_number if to_block is None else to_block
        return self._decoder.iterate(start, end)


def _sender_for(w3: Web3, account: LocalAccount) -> Sender:
    """One `Sender` per account per connection, so several clients of the same account share
    its nonce instead of racing each other."""
    senders: dict[str, Sender] = w3.__dict__.setdefault("_mycelix_senders", {})
    sender = senders.get(account.address)
    if sender is None:
        sender = senders[account.address] = Sender(w3, account)
    return sender


def flow(value: str | int) -> Decimal:
    """Shorthand for a FLOW amount: `flow("0.01")`."""
    return Decimal(value)

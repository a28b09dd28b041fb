"""Shared by the indexer tests: the cast of accounts, an economy that exercises every
strategy and every router event, dev-chain controls, and a normalized dump of the
chain-derived tables (what "the catalogue equals a rebuild" compares)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from web3 import Web3

from mycelix.catalog import Catalog
from mycelix.catalog.models import (
    Auction,
    AuctionSlot,
    Credit,
    Patron,
    PatronEvent,
    Payment,
    Play,
    Song,
    Split,
    Withdrawal,
)
from mycelix.catalog.repositories import PaymentRepository
from mycelix.chain.connect import Chain
from mycelix.chain.units import DAY, HOUR, ONE
from mycelix.sdk import Mycelix, Role, Tier, salt_for, song_id_for
from mycelix.sdk import Split as SplitOf

PPS, GIFT, PATRONAGE, AUCTION = (
    "pay-per-stream-v1",
    "gift-economy-v1",
    "patronage-v1",
    "dutch-auction-v1",
)

_titles = itertools.count()
_salts: dict[bytes, bytes] = {}


def salt_of(song: bytes) -> bytes:
    """The salt `Cast.song` derived `song` from."""
    return _salts[song]


@dataclass
class Cast:
    chain: Chain
    owner: Mycelix  # deployer: router owner and first treasury
    artist: Mycelix
    producer: Mycelix
    listener: Mycelix
    patron: Mycelix
    buyer: Mycelix
    label: Mycelix  # receives a transferred song
    treasury: Mycelix  # the treasury after `set_treasury`

    def song(self, title: str, artist: Mycelix | None = None) -> bytes:
        """A fresh song id of `artist` (default: the artist); register it with
        `register_song(salt_of(song), strategy)` from that account."""
        who = artist or self.artist
        salt = salt_for(f"{title} #{next(_titles)}")
        song = song_id_for(who.address, salt)
        _salts[song] = salt
        return song

    @property
    def everyone(self) -> list[Mycelix]:
        return [
            self.owner,
            self.artist,
            self.producer,
            self.listener,
            self.patron,
            self.buyer,
            self.label,
            self.treasury,
        ]

    def as_owner(self, fn: str, *args: Any) -> None:
        self.owner.sender.transact(getattr(self.owner.router.functions, fn)(*args))


def make_cast(sdk: Mycelix, chain: Chain, *, fund: bool = True, rewound: bool = False) -> Cast:
    """Clients for the dev accounts. `rewound`: the chain was just rewound (evm_revert), so
    the nonces the SDK caches per account and Web3 object are ahead of the chain; use a new
    Web3 object over the same provider, whose clients read their nonces afresh."""
    w3 = Web3(chain.w3.provider) if rewound else sdk.w3
    clients = [Mycelix(w3, sdk.manifest, account) for account in chain.dev_accounts[:8]]
    cast = Cast(chain, *clients)
    if fund:
        for who in (cast.listener, cast.patron, cast.buyer):
            who.faucet(Decimal(10_000))
    return cast


# ------------------------------------------------------------------------ chain control


def rpc(chain: Chain, method: str, *params: Any) -> Any:
    answer = chain.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in answer, answer
    return answer["result"]


def mine(chain: Chain, blocks: int) -> None:
    """Mine empty blocks (anvil: one request; embedded: the chain's own miner)."""
    if chain.embedded is not None:
        chain.embedded.mine(blocks)
    else:
        rpc(chain, "anvil_mine", hex(blocks))


# --------------------------------------------------------------------------- economy


@dataclass(frozen=True)
class Songs:
    pps: bytes  # pay-per-stream, three-way splits
    solo: bytes  # pay-per-stream, no splits, later moved to the gift economy
    gift: bytes  # gift economy, no splits, later transferred to the label
    channel: bytes  # patronage, patron-only
    limited: bytes  # Dutch auction


def economy(cast: Cast) -> Songs:
    """Every strategy and every router event the indexer handles, including fee and
    treasury changes mid-way, a strategy change, a song transfer and withdrawals."""
    artist, listener = cast.artist, cast.listener
    songs = Songs(
        pps=cast.song("pps"),
        solo=cast.song("solo"),
        gift=cast.song("gift"),
        channel=cast.song("channel"),
        limited=cast.song("limited"),
    )
    artist.register_song(salt_of(songs.pps), PPS)
    artist.configure_splits(
        songs.pps,
        [
            SplitOf(artist.address, 5_001, Role.ARTIST),
            SplitOf(cast.producer.address, 3_333, Role.PRODUCER),
            SplitOf(listener.address, 1_666, Role.FEATURED),
        ],
    )
    artist.register_song(salt_of(songs.solo), PPS)
    artist.register_song(salt_of(songs.gift), GIFT)
    artist.configure_gift(songs.gift, cgc_per_listen=Decimal(1), early_bonus=Decimal(2))
    artist.register_song(salt_of(songs.channel), PATRONAGE)
    artist.configure_patronage([Tier("fan", 5 * ONE), Tier("inner", 20 * ONE, exclusive=True)])
    artist.set_patron_only(songs.channel)
    artist.register_song(salt_of(songs.limited), AUCTION)
    artist.create_auction(
        songs.limited, start_price=Decimal(100), floor_price=Decimal(10), duration=DAY, slots=2
    )

    for _ in range(3):
        listener.stream(songs.pps)
    listener.tip(songs.pps, 10**15 + 7)
    listener.stream(songs.solo)
    listener.batch_stream([songs.pps, songs.solo, songs.gift])
    listener.stream(songs.gift)  # free: a play and CGC
    cast.buyer.stream(songs.gift)
    listener.tip(songs.gift, 12_345)
    cast.patron.become_patron(songs.channel, tier=1)
    cast.patron.stream(songs.channel)  # free for a patron of an exclusive tier
    cast.chain.advance_time(HOUR)
    cast.buyer.buy_slot(songs.limited, max_price=Decimal(100))
    cast.patron.buy_slot(songs.limited, max_price=Decimal(100))  # sells out: AuctionEnded
    cast.buyer.stream(songs.limited)  # a slot holder plays free

    cast.as_owner("set_fee", 250)
    cast.as_owner("set_treasury", cast.treasury.address)
    artist.set_price(songs.pps, Decimal("0.02"))
    listener.stream(songs.pps)
    artist.offer_song(songs.gift, cast.label.address)
    listener.tip(songs.gift, 10**15 + 1)  # still the artist's: an offer changes nothing
    cast.label.accept_song(songs.gift)
    listener.tip(songs.gift, 10**16 + 3)  # all to the label now
    artist.change_strategy(songs.solo, GIFT)
    listener.stream(songs.solo)  # free now
    cast.chain.advance_time(30 * DAY)
    cast.patron.renew_patronage(songs.channel, tier=1)
    cast.patron.cancel_patronage(artist.address)
    cast.producer.withdraw()
    artist.withdraw()
    return songs


# ------------------------------------------------------------------------------ dump


def dump(catalog: Catalog) -> dict[str, list[tuple[Any, ...]]]:
    """Every chain-derived row, without surrogate ids, sorted: equal dumps mean equal
    catalogues as far as the chain is concerned."""
    with catalog.read() as session:
        return _dump(session)


def _rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(row) for row in session.execute(stmt)), key=repr)


def _dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    paid = aliased(Payment)
    auction = aliased(Auction)
    return {
        "songs": _rows(
            session,
            select(
                Song.song_id,
                Song.artist,
                Song.strategy_id,
                Song.strategy_name,
                Song.patron_only,
                Song.stream_price,
                Song.registration_tx,
                Song.registration_block,
                Song.play_count,
            ),
        ),
        "splits": _rows(
            session,
            select(
                Split.song_id,
                Split.position,
                Split.recipient,
                Split.bps,
                Split.role,
                Split.block_number,
            ),
        ),
        "payments": _rows(
            session,
            select(
                Payment.tx_hash,
                Payment.log_index,
                Payment.song_id,
                Payment.payer,
                Payment.strategy_id,
                Payment.payment_type,
                Payment.amount,
                Payment.fee,
                Payment.block_number,
                Payment.block_hash,
                Payment.paid_at,
            ),
        ),
        "credits": _rows(
            session,
            select(
                paid.tx_hash,
                paid.log_index,
                Credit.recipient,
                Credit.kind,
                Credit.amount,
                Credit.song_id,
                Credit.strategy_id,
                Credit.block_number,
                Credit.credited_at,
            ).join(paid, paid.id == Credit.payment_id),
        ),
        "withdrawals": _rows(
            session,
            select(
                Withdrawal.tx_hash,
                Withdrawal.log_index,
                Withdrawal.recipient,
                Withdrawal.amount,
                Withdrawal.block_number,
                Withdrawal.withdrawn_at,
            ),
        ),
        "plays": _rows(
            session,
            select(
                Play.song_id,
                Play.listener,
                paid.tx_hash,
                paid.log_index,
                Play.block_number,
                Play.played_at,
            ).outerjoin(paid, paid.id == Play.payment_id),
        ),
        "patron_events": _rows(
            session,
            select(
                PatronEvent.tx_hash,
                PatronEvent.log_index,
                PatronEvent.artist,
                PatronEvent.patron,
                PatronEvent.kind,
                PatronEvent.song_id,
                PatronEvent.tier,
                PatronEvent.level,
                PatronEvent.amount,
                PatronEvent.started_at,
                PatronEvent.paid_until,
                PatronEvent.access_until,
                PatronEvent.block_number,
            ),
        ),
        "patrons": _rows(
            session,
            select(
                Patron.artist,
                Patron.patron,
                Patron.tier,
                Patron.level,
                Patron.started_at,
                Patron.paid_until,
                Patron.access_until,
                Patron.status,
                Patron.updated_block,
            ),
        ),
        "auctions": _rows(
            session,
            select(
                Auction.song_id,
                Auction.number,
                Auction.start_price,
                Auction.floor_price,
                Auction.start_time,
                Auction.end_time,
                Auction.slots,
                Auction.sold,
                Auction.revenue,
                Auction.clearing_price,
                Auction.live,
                Auction.end_reason,
                Auction.ended_at,
                Auction.ended_block,
                Auction.tx_hash,
                Auction.block_number,
            ),
        ),
        "auction_slots": _rows(
            session,
            select(
                auction.song_id,
                auction.number,
                AuctionSlot.slot,
                AuctionSlot.buyer,
                AuctionSlot.price,
                AuctionSlot.tx_hash,
                AuctionSlot.block_number,
                AuctionSlot.purchased_at,
            ).join(auction, auction.id == AuctionSlot.auction_id),
        ),
    }


# --------------------------------------------------------------------------- money


def recipients(catalog: Catalog) -> set[str]:
    with catalog.read() as session:
        return set(session.scalars(select(Credit.recipient).distinct()))


def assert_credits_match_chain(catalog: Catalog, sdk: Mycelix, extra: list[str]) -> int:
    """For every address credited in the catalogue (and `extra`): its credits minus its
    withdrawals in the catalogue equal the router's `credits()`. Returns how many
    addresses were compared."""
    addresses = recipients(catalog) | {a.lower() for a in extra}
    with catalog.read() as session:
        payments = PaymentRepository(session)
        mismatches = {
            a: (payments.balance(a), sdk.credits(a))
            for a in sorted(addresses)
            if payments.balance(a) != sdk.credits(a)
        }
    assert not mismatches, f"catalogue vs chain credits differ: {mismatches}"
    return len(addresses)

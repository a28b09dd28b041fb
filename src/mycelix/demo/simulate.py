"""Day-by-day behaviour of the crowd, driven by one seeded RNG.

A simulated day has three listening sessions eight hours of chain time apart (so a gift-economy
listener can earn CGC more than once a day, while an immediate replay earns nothing). Listeners
stream pay-per-stream songs, now and then play a whole playlist in one batch transaction, listen
free to gift-economy songs and tip them, and stream the patronage and auction songs they have
access to. Patrons join in the first week; loyal ones renew between paid-until and the end of
the 7-day grace, the others lapse, one cancels. Collectors watch the Dutch auction's falling
price and buy when it reaches what they are willing to pay; those still without a slot buy on
its last day, so it sells out. Every week some artists and collaborators withdraw.

Every decision reads the chain first (patron state, auction price, credits), so a second run on
the same data directory continues where the first left off. Only refusals are counted here: all
other outcomes are read back from the chain's events by `ledger`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mycelix.chain.connect import Chain
from mycelix.chain.units import DAY, HOUR
from mycelix.demo.cast import Cast, Person
from mycelix.demo.catalogue import (
    AUCTION,
    GIFT,
    PATRON_ACT,
    PATRON_TIERS,
    PATRONAGE,
    PPS,
    Release,
    Song,
)
from mycelix.sdk import ContractRevert
from mycelix.strategies import registry

SESSIONS = 3
SESSION_LENGTH = DAY // SESSIONS
SOLD_OUT = "auction slot after the sell-out"
TIPS = (Decimal("0.05"), Decimal("0.1"), Decimal("0.25"), Decimal("0.5"), Decimal(1))


@dataclass
class PatronPlan:
    tier: int
    join_day: int
    loyal: bool  # renews; otherwise lets the patronage lapse
    renew_delay: int  # seconds after paid-until at which a loyal patron renews (< grace)
    cancel_after: int | None = None  # days after joining
    joined: bool = False


@dataclass
class Listener:
    person: Person
    stream_chance: float  # per session: one paid stream
    gift_chance: float  # per session: one free gift-economy listen
    tip_chance: float  # after a gift listen
    playlist_weekday: int | None  # plays a whole playlist in one batch on this weekday
    patron: PatronPlan | None = None
    valuation: int | None = None  # most this collector pays for an auction slot (wei)
    has_slot: bool = False


@dataclass
class RunStats:
    """What the events cannot tell: refusals (a refused transaction leaves no event), how many
    transactions the simulation sent, and where the patrons stand at the end."""

    refused: Counter[str] = field(default_factory=Counter)
    transactions: int = 0
    patrons: Counter[str] = field(default_factory=Counter)  # standing at the end of the run


def plan_listeners(cast: Cast, release: Release, rng: random.Random, days: int) -> list[Listener]:
    """Give each listener habits; a few become patrons and a few collectors."""
    crowd = [
        Listener(
            person=p,
            stream_chance=rng.uniform(0.02, 0.1),
            gift_chance=rng.uniform(0.02, 0.1),
            tip_chance=rng.uniform(0.0, 0.25),
            playlist_weekday=rng.randrange(7) if rng.random() < 0.4 else None,
        )
        for p in cast.listeners
    ]
    order = rng.sample(crowd, len(crowd))
    # Patrons: the first is a loyal Canopy (exclusive) patron, the second lets it lapse, the
    # third cancels after two weeks; the rest choose freely.
    exclusive_tier = next(i for i, t in enumerate(PATRON_TIERS) if t.exclusive)
    patrons = order[: max(2, len(order) // 2)]
    join_window = max(1, min(7, days - 1))
    for i, listener in enumerate(patrons):
        listener.patron = PatronPlan(
            tier=exclusive_tier if i == 0 else rng.randrange(len(PATRON_TIERS)),
            join_day=0 if i < 2 else rng.randrange(join_window),
            loyal=i == 0 or (i != 1 and rng.random() < 0.8),
            renew_delay=rng.randrange(0, 4 * DAY),
            cancel_after=14 if i == 2 else None,
        )
    # Collectors: one more than there are slots, so the last one finds it sold out.
    auction = release.by_strategy(AUCTION)[0]
    state = auction.artist.client.auction(auction.song_id)
    for listener in rng.sample(crowd, min(len(crowd), state.slots + 1)):
        listener.valuation = rng.randint(state.floor_price, state.start_price)
    return crowd


class Simulation:
    def __init__(
        self, cast: Cast, release: Release, chain: Chain, rng: random.Random, days: int
    ) -> None:
        self.cast = cast
        self.release = release
        self.chain = chain
        self.rng = rng
        self.days = days
        self.crowd = plan_listeners(cast, release, rng, days)
        self.stats = RunStats()
        self.paid = release.by_strategy(PPS)
        self.gift = release.by_strategy(GIFT)
        self.auction = release.by_strategy(AUCTION)[0]
        self.public_patron_song = next(
            s for s in release.by_strategy(PATRONAGE) if not s.spec.patron_only
        )
        self.patron_only_song = next(
            s for s in release.by_strategy(PATRONAGE) if s.spec.patron_only
        )
        self.curious_tried = False
        self.seam_songs = [s for s in release.songs if s.spec.terms is not None]

    # ---------------------------------------------------------------- plumbing

    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def send(self, action: Callable[..., object], *args: Any, refusal: str | None = None) -> bool:
        """`action(*args)`: one SDK call that sends a transaction. A contract refusal is counted,
        not raised, when `refusal` names it; returns whether the transaction went through."""
        try:
            action(*args)
        except ContractRevert:
            if refusal is None:
                raise
            self.stats.refused[refusal] += 1
            return False
        self.stats.transactions += 1
        return True

    def advance_to(self, timestamp: int) -> None:
        self.chain.advance_time(max(1, timestamp - self.now()))

    # -------------------------------------------------------------------- days

    def run(self, on_day: Callable[[int], None]) -> RunStats:
        for day in range(self.days):
            start = self.now()
            for session in range(SESSIONS):
                if session == 0:
                    self.patrons_round(day)
                if session == 1:
                    self.auction_round()
                for listener in self.rng.sample(self.crowd, len(self.crowd)):
                    self.listen(listener, day, session)
                self.advance_to(start + (session + 1) * SESSION_LENGTH)
            if day % 7 == 6 or day == self.days - 1:
                self.payday()
            on_day(day)
        self.patron_standing()
        return self.stats

    def listen(self, listener: Listener, day: int, session: int) -> None:
        rng, client = self.rng, listener.person.client
        if session == 1 and listener.playlist_weekday == day % 7:
            # An album session: every song they may play, paid ones charged, in one transaction.
            playlist = [s.song_id for s in [*self.paid, *self.gift, self.public_patron_song]]
            self.send(client.batch_stream, playlist)
        if rng.random() < listener.stream_chance:
            song = rng.choice(self.paid)
            self.send(client.stream, song.song_id)
            if rng.random() < 0.03:
                self.send(client.tip, song.song_id, rng.choice(TIPS[:3]))
        if rng.random() < listener.gift_chance:
            song = rng.choice(self.gift)
            self.send(client.stream, song.song_id)  # free; earns CGC at most hourly
            if rng.random() < 0.1:
                self.send(client.stream, song.song_id)  # a replay: no CGC this hour
            if rng.random() < listener.tip_chance:
                self.send(client.tip, song.song_id, rng.choice(TIPS))
        if rng.random() < 0.03:
            self.patron_song(listener)
        if listener.has_slot and rng.random() < 0.04:
            self.send(client.stream, self.auction.song_id)
        if self.seam_songs and rng.random() < listener.stream_chance / 2:
            song = rng.choice(self.seam_songs)
            action, args = registry.get(song.strategy).demo_play(client, song.song_id, rng)
            self.send(action, *args)

    def patron_song(self, listener: Listener) -> None:
        client = listener.person.client
        hidden = self.patron_only_song.song_id
        if listener.patron is not None and client.is_authorized(hidden):
            self.send(client.stream, hidden)
        elif not self.curious_tried:
            # Someone without the exclusive tier tries the patron-only song, once per run.
            self.curious_tried = True
            self.send(client.stream, hidden, refusal="patron-only song")
        else:
            self.send(client.stream, self.public_patron_song.song_id)

    # --------------------------------------------------------------- patronage

    def patrons_round(self, day: int) -> None:
        artist = self.cast.artists[PATRON_ACT].address
        song = self.public_patron_song.song_id
        for listener in self.crowd:
            plan = listener.patron
            if plan is None:
                continue
            client = listener.person.client
            state = client.patron(artist)
            now = self.now()
            if not state.active:
                if not plan.joined and day >= plan.join_day:
                    plan.joined = self.send(client.become_patron, song, plan.tier)
            elif state.cancelled:
                continue
            elif now >= state.paid_until:
                if plan.loyal and now >= state.paid_until + plan.renew_delay:
                    self.send(client.renew_patronage, song, plan.tier)
            elif (
                plan.cancel_after is not None
                and plan.joined
                and day >= plan.join_day + plan.cancel_after
            ):
                plan.cancel_after = None
                self.send(client.cancel_patronage, artist)

    def patron_standing(self) -> None:
        artist = self.cast.artists[PATRON_ACT].address
        now = self.now()
        for listener in self.crowd:
            state = listener.person.client.patron(artist)
            if state.start == 0:
                continue
            if state.cancelled:
                standing = "cancelled" if state.active else "ended after cancelling"
            elif not state.active:
                standing = "lapsed"
            else:
                standing = "in grace" if now > state.paid_until else "paid up"
            self.stats.patrons[standing] += 1

    # ----------------------------------------------------------------- auction

    def auction_round(self) -> None:
        song: Song = self.auction
        seller = song.artist.client
        waiting = [c for c in self.crowd if c.valuation is not None and not c.has_slot]
        if not waiting:
            return
        if not seller.auction(song.song_id).live:
            late = waiting[0]
            late.valuation = None  # tries once, then gives up
            price = seller.auction_price(song.song_id)
            self.send(late.person.client.buy_slot, song.song_id, price, refusal=SOLD_OUT)
            return
        # The next round is a day later: past the end, everyone still waiting buys now.
        last_chance = self.now() + DAY >= song.auction_end - HOUR
        for collector in sorted(waiting, key=lambda c: -(c.valuation or 0)):
            price = seller.auction_price(song.song_id)
            assert collector.valuation is not None
            if price > collector.valuation and not last_chance:
                continue
            offer = max(price, collector.valuation)
            buy = collector.person.client.buy_slot
            collector.has_slot = self.send(buy, song.song_id, offer, refusal=SOLD_OUT)
            if not seller.auction(song.song_id).live:
                return

    # ------------------------------------------------------------- withdrawals

    def payday(self) -> None:
        """Some artists and collaborators take their earnings home; at least one a week."""
        owed = [(p, p.client.credits()) for p in self.cast.earners()]
        owed = [(p, c) for p, c in owed if c > 0]
        chosen = [
            p for p, _ in owed if self.rng.random() < (0.5 if p.key in self.cast.artists else 0.3)
        ]
        if not chosen and owed:
            chosen = [max(owed, key=lambda pc: pc[1])[0]]
        for person in chosen:
            self.send(person.client.withdraw)

"""The songs: each act releases two scripted ones covering the first four strategies, plus the
songs every other strategy folder offers (`Strategy.demo_songs`), with realistic splits.

Every song is a real recording with a cover (`media`), published through the platform's upload
path and registered under its content hash (`publish`), so it is listed and plays. Every run
releases a new "take" of each song (run 1 "Mycelial Network", run 2 "Mycelial Network (take 2)",
...), a different recording, so song ids never collide with an earlier run's; the run number is
read from the chain (the first take whose id is not registered yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mycelix.chain.units import DAY, to_wei
from mycelix.demo.cast import Cast, Person
from mycelix.demo.publish import name_artist, publish, song_id_of
from mycelix.platform import Platform
from mycelix.sdk import Role, Split, Tier
from mycelix.strategies import dutch_auction, gift_economy, patronage, pay_per_stream, registry

# The demo's story is scripted around these four (who patronises whom, who collects a slot);
# every strategy's label comes from its folder, through the registry.
PPS = pay_per_stream.STRATEGY.name
GIFT = gift_economy.STRATEGY.name
PATRONAGE = patronage.STRATEGY.name
AUCTION = dutch_auction.STRATEGY.name

STRATEGY_LABELS = {s.name: s.label for s in registry.all_strategies()}


@dataclass(frozen=True)
class GiftTerms:
    cgc_per_listen: Decimal
    early_bonus: Decimal
    early_threshold: int
    repeat_multiplier_bps: int


@dataclass(frozen=True)
class AuctionTerms:
    start_price: Decimal
    floor_price: Decimal


@dataclass(frozen=True)
class SongSpec:
    title: str
    act: str
    strategy: str
    splits: tuple[tuple[str, int, Role], ...] = ()  # (person key, bps, role); () = 100 % artist
    price: Decimal | None = None  # pay-per-stream; None keeps the 0.01 FLOW default
    gift: GiftTerms | None = None  # None keeps the strategy's defaults
    patron_only: bool = False
    auction: AuctionTerms | None = None
    terms: dict[str, Any] | None = None  # a seam strategy's (`Strategy.demo_configure`)


_SCRIPTED = (
    SongSpec(
        "Mycelial Network", "hyphae", PPS, price=Decimal("0.02"),
        splits=(("hyphae", 3_500, Role.ARTIST), ("bram", 2_500, Role.ARTIST),
                ("cleo", 2_500, Role.ARTIST), ("oona", 1_500, Role.PRODUCER)),
    ),
    SongSpec(
        "Under the Forest Floor", "hyphae", PPS,
        splits=(("hyphae", 3_500, Role.ARTIST), ("bram", 2_500, Role.ARTIST),
                ("cleo", 2_500, Role.ARTIST), ("oona", 1_500, Role.PRODUCER)),
    ),
    SongSpec(
        "Gift of Rain", "choir", GIFT,
        gift=GiftTerms(Decimal(2), Decimal(20), 5, 20_000),
        splits=(("choir", 6_000, Role.ARTIST), ("mara", 2_500, Role.FEATURED),
                ("ivo", 1_500, Role.ENGINEER)),
    ),
    SongSpec(
        "Drifting Spores", "choir", GIFT,
        splits=(("choir", 8_000, Role.ARTIST), ("pia", 2_000, Role.SONGWRITER)),
    ),
    SongSpec(
        "Roots", "rhizome", PATRONAGE,
        splits=(("rhizome", 8_500, Role.ARTIST), ("oona", 1_500, Role.PRODUCER)),
    ),
    SongSpec("Hidden Roots", "rhizome", PATRONAGE, patron_only=True),
    SongSpec(
        "First Flush", "fruiting", AUCTION,
        auction=AuctionTerms(Decimal(5), Decimal(1)),
        splits=(("fruiting", 6_000, Role.ARTIST), ("mara", 2_000, Role.FEATURED),
                ("label", 1_000, Role.LABEL), ("nia", 1_000, Role.MANAGER)),
    ),
    SongSpec(
        "Spore Print", "fruiting", PPS, price=Decimal("0.015"),
        splits=(("fruiting", 7_000, Role.ARTIST), ("mara", 3_000, Role.FEATURED)),
    ),
)  # fmt: skip

# Every other strategy's own demo songs (`Strategy.demo_songs`), played by its `demo_play`.
SONGS = (
    *_SCRIPTED,
    *(
        SongSpec(
            d.title,
            d.act,
            s.name,
            splits=tuple((key, bps, Role[role.upper()]) for key, bps, role in d.splits),
            terms=dict(d.terms),
        )
        for s in registry.all_strategies()
        for d in s.demo_songs()
    ),
)

# Rhizome's patronage: the second tier opens the patron-only song.
PATRON_TIERS = (
    Tier("Sprout", to_wei("1")),
    Tier("Canopy", to_wei("3"), exclusive=True),
)
PATRON_ACT = "rhizome"
GENRES = {"hyphae": "electronic", "choir": "folk", "rhizome": "ambient", "fruiting": "indie"}


@dataclass
class Song:
    spec: SongSpec
    title: str
    song_id: bytes
    artist: Person
    audio_cid: str = ""
    format: str = ""  # the recording's: "wav", "flac" or "ogg"
    auction_end: int = 0

    @property
    def strategy(self) -> str:
        return self.spec.strategy


@dataclass
class Release:
    run: int
    songs: list[Song] = field(default_factory=list)

    def by_strategy(self, strategy: str) -> list[Song]:
        return [s for s in self.songs if s.strategy == strategy]

    def one(self, title: str) -> Song:
        return next(s for s in self.songs if s.spec.title == title)


def take_title(title: str, run: int) -> str:
    return title if run == 1 else f"{title} (take {run})"


def next_run(cast: Cast) -> int:
    """1 + the number of earlier demo runs on this chain."""
    first = SONGS[0]
    artist = cast.artists[first.act]
    run = 1
    while artist.client.song_artist(song_id_of(artist.address, take_title(first.title, run), 0)):
        run += 1
    return run


def release(
    cast: Cast,
    platform: Platform,
    run: int,
    *,
    auction_duration: int,
    auction_slots: int,
    step: Callable[[str], None],
) -> Release:
    """Publish, register and configure this run's songs; configure the patron tiers; open the
    auction."""
    result = Release(run)
    for key, act in cast.acts.items():
        name_artist(platform, cast.artists[key].address, act.name, f"{act.frontperson}'s band")
    patron_artist = cast.artists[PATRON_ACT]
    if patron_artist.client.tiers(patron_artist.address) != list(PATRON_TIERS):
        step(f"{cast.acts[PATRON_ACT].name} sets patron tiers")
        patron_artist.client.configure_patronage(PATRON_TIERS)
    for index, spec in enumerate(SONGS):
        artist = cast.artists[spec.act]
        sdk = artist.client
        title = take_title(spec.title, run)
        step(f"{cast.acts[spec.act].name} uploads “{title}”")
        published = publish(
            platform,
            artist.address,
            title=title,
            genre=GENRES[spec.act],
            strategy=spec.strategy,
            index=index,
        )
        # The audio's content hash is the salt, as for any upload: the router derives the id
        # from it and the artist.
        sid = published.song_id
        step(f"{cast.acts[spec.act].name} releases “{title}”")
        sdk.register_song(published.salt, spec.strategy)
        if spec.splits:
            sdk.configure_splits(
                sid, [Split(cast.person(k).address, bps, role) for k, bps, role in spec.splits]
            )
        if spec.price is not None:
            sdk.set_price(sid, spec.price)
        if spec.gift is not None:
            g = spec.gift
            sdk.configure_gift(
                sid,
                cgc_per_listen=g.cgc_per_listen,
                early_bonus=g.early_bonus,
                early_threshold=g.early_threshold,
                repeat_multiplier_bps=g.repeat_multiplier_bps,
            )
        if spec.patron_only:
            sdk.set_patron_only(sid)
        if spec.terms is not None:
            registry.get(spec.strategy).demo_configure(sdk, sid, spec.terms)
        song = Song(spec, title, sid, artist, published.audio_cid, published.format)
        if spec.auction is not None:
            a = spec.auction
            sdk.create_auction(
                sid,
                start_price=a.start_price,
                floor_price=a.floor_price,
                duration=auction_duration,
                slots=auction_slots,
            )
            song.auction_end = sdk.auction(sid).end_time
        result.songs.append(song)
    return result


def auction_duration(days: int) -> int:
    """Half the simulated time, between one and ten days."""
    return max(DAY, min(10 * DAY, days * DAY // 2))

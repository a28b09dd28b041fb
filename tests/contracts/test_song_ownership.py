"""Who a song belongs to: ids the router derives from the caller (nobody can squat them) and
two-step transfers in which the new artist accepts the splits they inherit (nobody can plant a
song on an artist)."""

from __future__ import annotations

import boa
import pytest

from mycelix.chain.units import ONE, PaymentType
from mycelix.strategies.ids import strategy_id

from .conftest import NO_SPLITS, System, digest, salt, song_id_for

PPS = "pay-per-stream-v1"
PRICE = 10**16
ZERO = "0x" + "00" * 20


def song_record(system: System, song: bytes) -> tuple:
    """Everything about a song a refused transfer step must leave as it was."""
    r = system.router
    return (
        r.song_artist(song),
        r.pending_artist(song),
        r.song_strategy(song),
        tuple(r.splits(song)),
        r.splits_digest(song),
    )


def money(system: System, *accounts: str) -> tuple:
    return (
        system.flow.balanceOf(system.router.address),
        tuple(system.router.credits(a) for a in accounts),
        tuple(system.flow.balanceOf(a) for a in accounts),
    )


# ------------------------------------------------------------ song ids


def test_an_attacker_cannot_register_an_id_derived_from_the_artist(
    system: System, artist: str, stranger: str
) -> None:
    attacker = stranger
    expected = song_id_for(artist, "debut album")
    with boa.env.prank(attacker):
        squatted = system.router.register_song(salt("debut album"), strategy_id(PPS))
    assert squatted != expected
    assert system.router.song_artist(squatted) == attacker
    assert system.router.song_artist(expected) == ZERO
    # The artist's registration is unaffected: the id is theirs alone.
    assert system.register("debut album", PPS, artist) == expected
    assert system.router.song_artist(expected) == artist


def test_same_salt_by_two_artists_gives_two_songs(
    system: System, artist: str, producer: str
) -> None:
    first = system.register("shared title", PPS, artist)
    second = system.register("shared title", PPS, producer)
    assert first != second
    assert system.router.song_artist(first) == artist
    assert system.router.song_artist(second) == producer
    with boa.env.prank(artist), boa.reverts("router: song already registered"):
        system.router.register_song(salt("shared title"), strategy_id(PPS))


def test_an_attacker_cannot_claim_the_artists_song(
    system: System, artist: str, stranger: str
) -> None:
    attacker = stranger
    song = system.register("debut album", PPS, artist)
    before = song_record(system, song)
    with boa.env.prank(attacker), boa.reverts("router: caller is not the artist"):
        system.router.offer_song(song, attacker)
    with boa.env.prank(attacker), boa.reverts("router: caller is not the pending artist"):
        system.router.accept_song(song, NO_SPLITS)
    with boa.env.prank(attacker), boa.reverts("router: caller is not the artist"):
        system.router.change_strategy(song, strategy_id("gift-economy-v1"))
    assert song_record(system, song) == before


def test_song_id_of_matches_the_python_derivation(system: System, artist: str) -> None:
    for text in ("a", "b" * 100, "ünïcode"):
        assert system.router.song_id_of(artist, salt(text)) == song_id_for(artist, text)


# ------------------------------------------------------------ transfers


def test_offer_changes_nothing_until_accepted(
    system: System, artist: str, producer: str, listener: str, treasury: str
) -> None:
    song = system.register("single", PPS, artist)
    with boa.env.prank(artist):
        system.router.offer_song(song, producer)
    (log,) = system.router.get_logs()
    assert (type(log).__name__, log.song_id, log.artist, log.new_artist) == (
        "SongTransferOffered",
        song,
        artist,
        producer,
    )
    assert system.router.pending_artist(song) == producer
    assert system.router.song_artist(song) == artist
    system.fund(listener)
    with boa.env.prank(listener):
        system.router.pay(song, PRICE, PaymentType.STREAM)
    assert system.router.credits(artist) == PRICE * 99 // 100
    assert system.router.credits(producer) == 0
    # The artist of record still configures the song while the offer is pending.
    with boa.env.prank(producer), boa.reverts("pps: caller is not the artist"):
        system.pps.set_price(song, ONE)
    with boa.env.prank(artist):
        system.pps.set_price(song, ONE)


def test_the_planted_song_attack_fails_unless_the_artist_accepts_its_splits(
    system: System, artist: str, stranger: str, listener: str, treasury: str
) -> None:
    """An attacker registers a song, takes 100 % of its splits and offers it to a known artist:
    nothing reaches the artist's name until the artist accepts, seeing the digest."""
    attacker = stranger
    song = system.register("fake single", PPS, attacker)
    with boa.env.prank(attacker):
        system.router.configure_splits(song, [attacker], [10_000], [0])
        system.router.offer_song(song, artist)
    assert system.router.song_artist(song) == attacker
    # The artist looked at an unsplit song (or trusts nothing): the digest they name differs.
    before = (song_record(system, song), money(system, artist, attacker, treasury))
    with boa.env.prank(artist), boa.reverts("router: splits changed"):
        system.router.accept_song(song, NO_SPLITS)
    assert (song_record(system, song), money(system, artist, attacker, treasury)) == before
    # Accepting knowingly is the artist's choice; the digest says who is paid.
    assert system.router.splits_digest(song) == digest([attacker], [10_000], [0])


def test_splits_changed_between_offer_and_accept_is_refused(
    system: System, artist: str, producer: str, engineer: str
) -> None:
    song = system.register("single", PPS, artist)
    with boa.env.prank(artist):
        system.router.offer_song(song, producer)
    seen = system.router.splits_digest(song)
    assert seen == NO_SPLITS
    with boa.env.prank(artist):
        system.router.configure_splits(song, [artist, engineer], [9_000, 1_000], [0, 4])
    before = song_record(system, song)
    with boa.env.prank(producer), boa.reverts("router: splits changed"):
        system.router.accept_song(song, seen)
    assert song_record(system, song) == before
    with boa.env.prank(producer):
        system.router.accept_song(song, digest([artist, engineer], [9_000, 1_000], [0, 4]))
    assert system.router.song_artist(song) == producer
    assert system.router.splits(song) == [(artist, 9_000, 0), (engineer, 1_000, 4)]


def test_only_the_pending_artist_accepts(
    system: System, artist: str, producer: str, stranger: str
) -> None:
    song = system.register("single", PPS, artist)
    with boa.env.prank(stranger), boa.reverts("router: caller is not the pending artist"):
        system.router.accept_song(song, NO_SPLITS)
    with boa.env.prank(artist):
        system.router.offer_song(song, producer)
    before = song_record(system, song)
    for caller in (stranger, artist):
        with boa.env.prank(caller), boa.reverts("router: caller is not the pending artist"):
            system.router.accept_song(song, NO_SPLITS)
    assert song_record(system, song) == before
    with boa.env.prank(producer):
        system.router.accept_song(song, NO_SPLITS)
    assert system.router.song_artist(song) == producer
    # The previous artist can no longer offer, cancel or configure it.
    with boa.env.prank(artist), boa.reverts("router: caller is not the artist"):
        system.router.offer_song(song, artist)
    with boa.env.prank(producer), boa.reverts("router: caller is not the pending artist"):
        system.router.accept_song(song, NO_SPLITS)


def test_a_new_offer_replaces_the_pending_one(
    system: System, artist: str, producer: str, engineer: str
) -> None:
    song = system.register("single", PPS, artist)
    with boa.env.prank(artist):
        system.router.offer_song(song, producer)
        system.router.offer_song(song, engineer)
    assert system.router.pending_artist(song) == engineer
    with boa.env.prank(producer), boa.reverts("router: caller is not the pending artist"):
        system.router.accept_song(song, NO_SPLITS)
    with boa.env.prank(engineer):
        system.router.accept_song(song, NO_SPLITS)
    assert system.router.song_artist(song) == engineer


def test_cancelled_offer_cannot_be_accepted(system: System, artist: str, producer: str) -> None:
    song = system.register("single", PPS, artist)
    with boa.env.prank(artist), boa.reverts("router: no pending transfer"):
        system.router.cancel_song_transfer(song)
    with boa.env.prank(artist):
        system.router.offer_song(song, producer)
    with boa.env.prank(producer), boa.reverts("router: caller is not the artist"):
        system.router.cancel_song_transfer(song)
    with boa.env.prank(artist):
        system.router.cancel_song_transfer(song)
    (log,) = system.router.get_logs()
    assert (type(log).__name__, log.song_id, log.artist) == ("SongTransferCancelled", song, artist)
    assert system.router.pending_artist(song) == ZERO
    before = song_record(system, song)
    with boa.env.prank(producer), boa.reverts("router: caller is not the pending artist"):
        system.router.accept_song(song, NO_SPLITS)
    assert song_record(system, song) == before


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("zero", "router: zero artist"),
        ("self", "router: already the artist"),
        ("unregistered", "router: song not registered"),
    ],
)
def test_offer_rejects_bad_input(system: System, artist: str, case: str, reason: str) -> None:
    song = system.register("single", PPS, artist)
    target, to = song, {"zero": ZERO, "self": artist, "unregistered": artist}[case]
    if case == "unregistered":
        target = salt("nobody registered this")
    with boa.env.prank(artist), boa.reverts(reason):
        system.router.offer_song(target, to)
    assert system.router.pending_artist(target) == ZERO


def test_splits_digest_matches_the_python_encoding(
    system: System, artist: str, producer: str, engineer: str
) -> None:
    song = system.register("single", PPS, artist)
    assert system.router.splits_digest(song) == NO_SPLITS
    recipients = [artist, producer, engineer]
    with boa.env.prank(artist):
        system.router.configure_splits(song, recipients, [5_000, 3_000, 2_000], [0, 1, 255])
    assert system.router.splits_digest(song) == digest(
        recipients, [5_000, 3_000, 2_000], [0, 1, 255]
    )
    with boa.reverts("router: song not registered"):
        system.router.splits_digest(salt("unregistered"))

"""Songs: create, register, splits, search/filter/sort, cursor pagination, counts."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mycelix.catalog.models import Song
from mycelix.catalog.repositories import (
    AlreadyExists,
    ArtistRepository,
    InvalidCursor,
    NewSong,
    PlayRepository,
    SongQuery,
    SongRepository,
    SongSort,
    SplitSpec,
)
from mycelix.catalog.repositories.cursor import encode
from mycelix.catalog.types import fold

from .factories import GIFT, T0, address, bytes32, make_song, ref


def _key(song: Song, sort: SongSort) -> tuple[object, str]:
    first = {
        SongSort.NEWEST: song.created_at,
        SongSort.OLDEST: song.created_at,
        SongSort.TITLE: fold(song.title),
        SongSort.PLAYS: song.play_count,
    }[sort]
    return (first, song.song_id)


def _walk(
    repo: SongRepository, query: SongQuery, limit: int, between: Callable[[], None]
) -> list[Song]:
    seen: list[Song] = []
    cursor = None
    while True:
        page = repo.list(query, limit=limit, cursor=cursor)
        seen.extend(page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
        between()


def test_create_get_and_duplicate(db: Session) -> None:
    repo = SongRepository(db)
    song_id = make_song(db, "First Light", artist=address("artist").lower())
    song = repo.get(song_id.upper().replace("0X", "0x"))
    assert song is not None and song.title == "First Light"
    assert song.artist == address("artist").lower()
    assert song.artist_profile.address == song.artist
    assert song.play_count == 0 and song.registration_block is None
    with pytest.raises(AlreadyExists, match="already exists"):
        repo.create(NewSong(song_id=song_id, artist=address("artist"), title="x", audio_cid="c"))


def test_waveform_round_trips_and_none_is_null(db: Session) -> None:
    repo = SongRepository(db)
    with_peaks = make_song(db)
    repo.require(with_peaks).waveform = [0.0, 0.5, 1.0]
    without = make_song(db)
    db.flush()
    db.expire_all()
    assert repo.require(with_peaks).waveform == [0.0, 0.5, 1.0]
    nulls = db.scalars(select(Song.song_id).where(Song.waveform.is_(None))).all()
    assert nulls == [without]


def test_register_creates_a_stub_and_completes_a_described_song(db: Session) -> None:
    repo = SongRepository(db)
    stub_id = bytes32("registered elsewhere")
    stub = repo.register(
        stub_id,
        artist=address("artist"),
        strategy_id=GIFT,
        strategy_name="gift-economy-v1",
        ref=ref(7),
    )
    assert stub.title == "" and stub.audio_cid is None and stub.registration_block == 7
    described = make_song(db, "Described")
    song = repo.register(
        described,
        artist=address("artist"),
        strategy_id=GIFT,
        strategy_name="gift-economy-v1",
        ref=ref(8),
    )
    assert song.title == "Described" and song.strategy_name == "gift-economy-v1"
    assert song.registration_tx == ref(8).tx_hash
    # stubs stay out of the listing unless asked for
    ids = {s.song_id for s in repo.list(SongQuery()).items}
    assert described in ids and stub_id not in ids
    assert stub_id in {s.song_id for s in repo.list(SongQuery(include_stubs=True)).items}


def test_splits_follow_router_rules(db: Session) -> None:
    repo = SongRepository(db)
    song_id = make_song(db)
    repo.set_splits(
        song_id, [SplitSpec(address("artist"), 7000), SplitSpec(address("producer"), 3000, 1)]
    )
    db.expire_all()
    song = repo.require(song_id)
    assert [(s.position, s.bps, s.role) for s in song.splits] == [(0, 7000, 0), (1, 3000, 1)]
    assert song.splits[1].recipient == address("producer").lower()
    for bad in ([SplitSpec(address("artist"), 9000)], [], [SplitSpec(address("artist"), 0)]):
        with pytest.raises(
            ValueError, match=r"a song has 1 to 64 splits|split bps must be positive"
        ):
            repo.set_splits(song_id, bad)
    repo.set_splits(song_id, [SplitSpec(address("artist"), 10_000)], block_number=5)
    db.expire_all()
    assert [(s.bps, s.block_number) for s in repo.require(song_id).splits] == [(10_000, 5)]


@pytest.mark.parametrize("sort", list(SongSort))
def test_cursor_walk_sees_every_row_once_in_order_despite_inserts(
    db: Session, sort: SongSort
) -> None:
    rng = random.Random(sort.value)
    repo = SongRepository(db)
    plays = PlayRepository(db)
    titles = ["alpha", "Beta", "beta", "Ça va", "delta", "Echo", "echo", "zulu", "Ärger"]
    original = []
    for i in range(23):
        song_id = make_song(
            db,
            f"{rng.choice(titles)} {i % 4}",
            # equal timestamps force the song_id tie-break
            created_at=T0 + timedelta(minutes=rng.randrange(5)),
        )
        for _ in range(rng.randrange(4)):
            plays.record(song_id, played_at=T0)
        original.append(song_id)
    inserted = []

    def insert_some() -> None:
        for _ in range(2):
            inserted.append(
                make_song(
                    db, rng.choice(titles), created_at=T0 + timedelta(minutes=rng.randrange(-2, 8))
                )
            )

    db.expire_all()
    seen = _walk(repo, SongQuery(sort=sort), limit=4, between=insert_some)
    ids = [s.song_id for s in seen]
    assert len(ids) == len(set(ids)), "a row was returned twice"
    assert set(original) <= set(ids), "a row that existed all along was skipped"
    keys = [_key(s, sort) for s in seen]
    descending = sort in (SongSort.NEWEST, SongSort.PLAYS)
    assert keys == sorted(keys, reverse=descending)
    assert inserted  # the walk did insert in between


def test_search_filter_and_count(db: Session) -> None:
    repo = SongRepository(db)
    ArtistRepository(db).update_profile(address("artist"), name="Mycelium Choir")
    ArtistRepository(db).update_profile(address("producer"), name="Spore_Beats")
    a = make_song(db, "Straße der Pilze", genre="Ambient")
    b = make_song(db, "100% Fungi", genre="techno", artist=address("producer"))
    c = make_song(db, "Under_Ground", genre="  AMBIENT ", strategy="gift-economy-v1")
    d = make_song(db, "Hyphae", genre="jazz", artist=address("producer"))

    def ids(**kw: object) -> set[str]:
        query = SongQuery(**kw)  # type: ignore[arg-type]
        found = {s.song_id for s in repo.list(query, limit=200).items}
        assert repo.count(query) == len(found)
        return found

    assert ids() == {a, b, c, d}
    assert ids(q="STRASSE") == {a}  # case folding, not just lower()
    assert ids(q="100%") == {b}
    assert ids(q="%") == {b}  # wildcards are literal
    assert ids(q="de_") == set()  # unescaped, "_" would match "der"
    assert ids(q="er_gr") == {c}
    assert ids(q="choir") == {a, c}  # artist name
    assert ids(q="spore_") == {b, d}
    assert ids(genre="ambient") == {a, c}
    assert ids(genre="Ambient", strategy="gift-economy-v1") == {c}
    assert ids(artist=address("producer").upper().replace("0X", "0x")) == {b, d}
    assert ids(artist=address("producer"), q="hyph") == {d}
    assert ids(q="   ") == {a, b, c, d}
    facets = repo.facets()
    assert facets.genres == {"ambient": 2, "techno": 1, "jazz": 1}
    assert facets.strategies == {"pay-per-stream-v1": 3, "gift-economy-v1": 1}


def test_sorts(db: Session) -> None:
    repo = SongRepository(db)
    older = make_song(db, "b-side", created_at=T0)
    newer = make_song(db, "A-side", created_at=T0 + timedelta(days=1))
    PlayRepository(db).record(older, played_at=T0)
    db.expire_all()

    def order(sort: SongSort) -> list[str]:
        return [s.song_id for s in repo.list(SongQuery(sort=sort)).items]

    assert order(SongSort.NEWEST) == [newer, older]
    assert order(SongSort.OLDEST) == [older, newer]
    assert order(SongSort.TITLE) == [newer, older]
    assert order(SongSort.PLAYS) == [older, newer]


def test_bad_cursors_are_invalid_cursor_errors(db: Session) -> None:
    repo = SongRepository(db)
    for _ in range(3):
        make_song(db)
    page = repo.list(SongQuery(sort=SongSort.NEWEST), limit=1)
    assert page.next_cursor
    with pytest.raises(InvalidCursor, match="sort"):
        repo.list(SongQuery(sort=SongSort.TITLE), cursor=page.next_cursor)
    bad = [
        "not base64!",
        "e30",
        encode("newest", ["not a date", bytes32("x")]),
        encode("newest", [T0.isoformat()]),
        encode("plays", ["7", bytes32("x")]),
        encode("title", ["a", "0x1234"]),
        "A" * 5000,
    ]
    for cursor in bad:
        with pytest.raises(InvalidCursor, match="malformed cursor"):
            repo.list(SongQuery(sort=SongSort(cursor_sort(cursor))), cursor=cursor)


def cursor_sort(cursor: str) -> str:
    """The sort a test cursor claims (defaults to newest for undecodable ones)."""
    import base64
    import json

    try:
        return str(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["s"])
    except Exception:
        return "newest"


def test_update_and_unregister(db: Session) -> None:
    repo = SongRepository(db)
    song_id = make_song(db, "Old Title")
    repo.update(song_id, title="New Title", genre="Deep House")
    assert repo.list(SongQuery(q="new title", genre="deep house")).items[0].song_id == song_id
    with pytest.raises(ValueError, match=r"not editable: \['play_count'\]"):
        repo.update(song_id, play_count=99)
    repo.register(
        song_id,
        artist=address("artist"),
        strategy_id=GIFT,
        strategy_name="gift-economy-v1",
        ref=ref(20),
    )
    repo.set_splits(song_id, [SplitSpec(address("artist"), 10_000)], block_number=21)
    assert repo.unregister_above(19) == 1
    song = repo.require(song_id)
    assert song.registration_block is None and song.splits == []
    assert song.title == "New Title"  # descriptions survive a reorg

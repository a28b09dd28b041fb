"""`SongRepository.by_prefix`: a short id typed at the command line, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mycelix.catalog.repositories import SongRepository

from .factories import address, make_song


def test_a_prefix_finds_its_song_and_only_it(db: Session) -> None:
    songs = [make_song(db, f"Prefix {i}", artist=address("artist")) for i in range(3)]
    repo = SongRepository(db)
    for song_id in songs:
        assert [s.song_id for s in repo.by_prefix(song_id[:14].upper().replace("0X", "0x"))] == [
            song_id
        ]
    assert len(repo.by_prefix("0x", limit=5)) == 3
    assert repo.by_prefix("0x" + "0" * 64) == []


def test_a_prefix_with_wildcards_is_refused(db: Session) -> None:
    make_song(db, "Wildcard", artist=address("artist"))
    with pytest.raises(ValueError, match="not a song id: '0x%'"):
        SongRepository(db).by_prefix("0x%")
    with pytest.raises(ValueError, match="not a song id: 'abc'"):
        SongRepository(db).by_prefix("abc")

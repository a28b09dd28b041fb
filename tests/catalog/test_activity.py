"""Plays, uploads and analytics events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from mycelix.catalog.repositories import (
    AnalyticsRepository,
    ArtistRepository,
    DayCount,
    PlayRepository,
    UploadRepository,
)

from .factories import T0, address, make_song

ARTIST, LISTENER, FAN = address("artist"), address("listener"), address("fan")


def test_plays_per_day_and_counts(db: Session, backend: str) -> None:
    song = make_song(db, artist=ARTIST)
    other = make_song(db, artist=address("other artist"))
    repo = PlayRepository(db)
    day = datetime(2025, 6, 1, tzinfo=UTC)
    for at, listener in [
        (day, LISTENER),
        (day + timedelta(hours=23, minutes=59, seconds=59), FAN),
        (day + timedelta(days=1), LISTENER),
        (day + timedelta(days=3, hours=5), None),
    ]:
        repo.record(song, played_at=at, listener=listener)
    repo.record(other, played_at=day)
    if backend == "postgresql":
        db.execute(text("SET LOCAL TIME ZONE 'America/Los_Angeles'"))
    assert repo.by_day(song_id=song) == [
        DayCount(date(2025, 6, 1), 2),
        DayCount(date(2025, 6, 2), 1),
        DayCount(date(2025, 6, 4), 1),
    ]
    assert repo.by_day(artist=ARTIST, since=day + timedelta(days=1)) == [
        DayCount(date(2025, 6, 2), 1),
        DayCount(date(2025, 6, 4), 1),
    ]
    assert repo.count(song_id=song) == 4 and repo.count() == 5
    assert repo.count(artist=ARTIST, until=day + timedelta(days=1)) == 2
    assert repo.unique_listeners(song) == 2
    assert [p.played_at for p in repo.recent(listener=LISTENER)] == [day + timedelta(days=1), day]
    assert ArtistRepository(db).song_count(ARTIST) == 1


def test_uploads_are_deduplicated(db: Session) -> None:
    repo = UploadRepository(db)
    first, created = repo.record(
        cid="bafyaudio", kind="audio", size=1234, media_type="audio/mpeg", uploader=ARTIST
    )
    assert created and first.uploader == ARTIST.lower()
    again, created = repo.record(
        cid="bafyaudio", kind="audio", size=1234, media_type="audio/mpeg", uploader=FAN
    )
    assert not created and again.id == first.id and again.uploader == ARTIST.lower()
    cover, created = repo.record(cid="bafyaudio", kind="cover", size=1, media_type="image/png")
    assert created and cover.id != first.id
    assert [u.kind for u in repo.by_uploader(ARTIST)] == ["audio"]
    assert repo.get("bafyaudio", "cover") == cover and repo.get("nope", "audio") is None


def test_analytics_events(db: Session) -> None:
    song = make_song(db)
    repo = AnalyticsRepository(db)
    for i in range(3):
        repo.record(
            "play_started",
            {"position": i},
            song_id=song,
            session_id="s1",
            occurred_at=T0 + timedelta(days=i // 2),
        )
    repo.record("page_view", {"path": "/discover"}, listener=LISTENER, occurred_at=T0)
    assert repo.counts_by_name() == {"play_started": 3, "page_view": 1}
    assert repo.by_day("play_started", song_id=song) == [
        DayCount(T0.date(), 2),
        DayCount(T0.date() + timedelta(days=1), 1),
    ]
    db.expire_all()
    latest = repo.recent(name="play_started", limit=1)[0]
    assert latest.properties == {"position": 2} and latest.song_id == song
    assert repo.purge_before(T0 + timedelta(days=1)) == 3
    assert repo.counts_by_name() == {"play_started": 1}

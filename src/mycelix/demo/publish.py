"""Publish a demo song the way an artist does on the platform: upload the audio and the cover
(`mycelix.uploads.service.receive`, the upload endpoint's code), describe the song
(`mycelix.songs.service.describe`, the songs endpoint's code: its id is the artist's
registration salted with the audio's content hash), then register it on chain under that salt.
So every demo song is listed, has a duration and a waveform, and streams over the Range
endpoint like any upload."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mycelix.catalog.repositories import ArtistRepository, SongRepository
from mycelix.demo import media
from mycelix.platform import Platform
from mycelix.sdk.types import content_salt, song_id_for
from mycelix.songs.service import describe
from mycelix.storage.cid import cid_of
from mycelix.uploads.service import limit_for, receive


@dataclass(frozen=True)
class Published:
    song_id: bytes
    audio_cid: str
    cover_cid: str
    format: str  # the audio's: "wav", "flac" or "ogg"

    @property
    def salt(self) -> bytes:
        """What the artist registers the song with on chain."""
        return content_salt(self.audio_cid)


def song_id_of(artist: str, title: str, index: int) -> bytes:
    """The id the song would get, from its recording alone (nothing stored). Deterministic for
    WAV (index 0 of every run): `catalogue.next_run` relies on it."""
    return song_id_for(artist, content_salt(cid_of(media.recording(title, index).data)))


def publish(
    p: Platform, artist: str, *, title: str, genre: str, strategy: str, index: int
) -> Published:
    """Upload, describe (once: a song described by an interrupted run is reused)."""
    return asyncio.run(_publish(p, artist, title, genre, strategy, index))


async def _publish(
    p: Platform, artist: str, title: str, genre: str, strategy: str, index: int
) -> Published:
    recording = media.recording(title, index)
    art = media.cover(title, index)
    audio = await receive(
        p,
        recording.data,
        kind="audio",
        uploader=artist,
        limit=limit_for(p, "audio"),
        filename=recording.filename,
    )
    cover = await receive(
        p,
        art.data,
        kind="cover",
        uploader=artist,
        limit=limit_for(p, "cover"),
        filename=art.filename,
    )
    song_id = song_id_for(artist, content_salt(audio.cid))
    with p.catalog.read() as session:
        described = SongRepository(session).get(song_id) is not None
    if not described:
        new = await describe(
            p,
            artist,
            title=title,
            genre=genre,
            audio_cid=audio.cid,
            cover_cid=cover.cid,
            strategy=strategy,
        )
        with p.catalog.write() as session:
            SongRepository(session).create(new)
    return Published(song_id, audio.cid, cover.cid, recording.format)


def name_artist(p: Platform, artist: str, name: str, bio: str) -> None:
    """Give an act's address its display name in listings, unless it already has one."""
    with p.catalog.write() as session:
        artists = ArtistRepository(session)
        found = artists.ensure(artist)
        if not found.name:
            artists.update_profile(artist, name=name, bio=bio)

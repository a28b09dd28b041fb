"""Describing a song: its audio must be an upload of the signed-in artist; metadata and the
waveform come from the stored file (computed once, here).

`describe` only reads (on worker threads) and returns the row to insert: the caller stores
it in a short unit of work, so no writer waits on file probing."""

from __future__ import annotations

import asyncio

from mycelix.catalog.repositories import NewSong, UploadRepository
from mycelix.errors import Forbidden, InvalidRequest, UnsupportedMedia
from mycelix.platform import Platform
from mycelix.sdk.types import content_salt, song_id_for
from mycelix.storage import AudioInfo, parse_cid
from mycelix.storage.media import probe_media
from mycelix.storage.waveform import compute_peaks
from mycelix.storage.work import media_work
from mycelix.strategies import registry
from mycelix.strategies.ids import strategy_id


async def describe(
    p: Platform,
    artist: str,
    *,
    title: str,
    genre: str,
    audio_cid: str,
    cover_cid: str | None,
    strategy: str,
) -> NewSong:
    """The song to store, once its uploads and audio check out (4xx otherwise)."""
    if registry.find(strategy) is None:
        raise InvalidRequest(f"unknown strategy {strategy!r}; one of {', '.join(registry.names())}")
    audio_cid = parse_cid(audio_cid)
    cover_cid = parse_cid(cover_cid) if cover_cid is not None else None
    await asyncio.to_thread(_check_uploads, p, artist, audio_cid, cover_cid)
    async with p.store.local_copy(audio_cid) as path:
        info = await media_work(probe_media, path, "audio")
        if not isinstance(info, AudioInfo):
            raise UnsupportedMedia(f"upload {audio_cid} is not audio")
        peaks = await p.store.load_peaks(audio_cid)
        if peaks is None:  # uploaded before peaks were kept, or not decodable at upload
            peaks = await media_work(compute_peaks, path, info.format)
    return NewSong(
        # The router's id for the artist's registration salted with the audio's content hash:
        # one song per recording per artist, and nobody else can register it.
        song_id=song_id_for(artist, content_salt(audio_cid)),
        artist=artist,
        title=title.strip(),
        genre=genre.strip().lower(),
        audio_cid=audio_cid,
        cover_cid=cover_cid,
        duration_ms=round(info.duration * 1000) if info.duration else None,
        media_type=info.media_type,
        bitrate=info.bitrate,
        sample_rate=info.sample_rate,
        waveform=peaks,
        strategy_id=strategy_id(strategy),
        strategy_name=strategy,
    )


def _check_uploads(p: Platform, artist: str, audio_cid: str, cover_cid: str | None) -> None:
    with p.catalog.read() as session:
        uploads = UploadRepository(session)
        upload = uploads.get(audio_cid, "audio")
        if upload is None:
            raise InvalidRequest(
                f"audio_cid: no audio upload {audio_cid}: POST /api/uploads/audio first"
            )
        if upload.uploader and upload.uploader.lower() != artist.lower():
            raise Forbidden("that audio was uploaded by another account")
        if cover_cid is not None and uploads.get(cover_cid, "cover") is None:
            raise InvalidRequest(
                f"cover_cid: no cover upload {cover_cid}: POST /api/uploads/cover first"
            )

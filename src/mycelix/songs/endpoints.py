"""`/api/songs` (discovery: search, filter, sort, cursor pages), `/api/songs/{id}`, describing
and editing songs, and `/api/artists/{address}`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mycelix.api.deps import (
    CurrentAddress,
    PlatformDep,
    ReadSession,
    WriteSession,
    rate_limit,
    write,
)
from mycelix.api.errors import APIError
from mycelix.api.params import ArtistName, Bio, address_param, song_id_param
from mycelix.catalog.repositories import ArtistRepository, SongQuery, SongRepository, SongSort
from mycelix.catalog.types import to_checksum
from mycelix.sdk.types import content_salt
from mycelix.songs.schemas import SongDetail, SongIn, SongPage, SongPatch, song_detail, song_out
from mycelix.songs.service import describe
from mycelix.transactions.prepare import PreparedTx, prepare_register

router = APIRouter(tags=["songs"])


class CreatedSong(BaseModel):
    song: SongDetail
    register_tx: PreparedTx


class ArtistOut(BaseModel):
    address: str
    name: str
    bio: str
    songs: int


class ArtistIn(BaseModel):
    name: ArtistName | None = None
    bio: Bio | None = None


@router.get("/api/songs")
def list_songs(
    session: ReadSession,
    q: Annotated[
        str | None, Query(max_length=100, description="search in titles and artist names")
    ] = None,
    genre: Annotated[str | None, Query(max_length=64)] = None,
    strategy: Annotated[str | None, Query(max_length=64)] = None,
    artist: Annotated[str | None, Query(pattern="^0x[0-9a-fA-F]{40}$")] = None,
    sort: SongSort = SongSort.NEWEST,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> SongPage:
    """Songs, newest first by default. Pass `next_cursor` back as `cursor` for the next page."""
    query = SongQuery(
        q=q or None,
        genre=genre.lower() if genre else None,
        strategy=strategy,
        artist=artist.lower() if artist else None,
        sort=sort,
    )
    page = SongRepository(session).list(query, limit=limit, cursor=cursor)
    return SongPage.model_validate(
        {"items": [song_out(s) for s in page.items], "next_cursor": page.next_cursor}
    )


@router.get("/api/songs/{song_id}", responses={404: {}})
def get_song(song_id: str, session: ReadSession) -> SongDetail:
    """One song with its splits, waveform and registration."""
    song = SongRepository(session).get(song_id_param(song_id))
    if song is None or not song.title:
        raise APIError(404, f"song {song_id} not found")
    return SongDetail.model_validate(song_detail(song))


@router.post("/api/songs", status_code=201, dependencies=[Depends(rate_limit("write", 120))])
async def create_song(
    body: SongIn, request: Request, p: PlatformDep, artist: CurrentAddress
) -> CreatedSong:
    """Describe a song from an uploaded audio file, and get the transaction that registers it on
    chain under the chosen strategy (send it from the artist's wallet). The song's id is the
    router's keccak256(artist ‖ salt) with the audio's content hash (the sha2-256 digest in its
    CID) as the salt, so only this artist can register it."""
    new = await describe(
        p,
        artist,
        title=body.title,
        genre=body.genre,
        audio_cid=body.audio_cid,
        cover_cid=body.cover_cid,
        strategy=body.strategy,
    )

    def store(session: Session) -> SongDetail:
        song = SongRepository(session).create(new)
        session.flush()
        return SongDetail.model_validate(song_detail(song))

    song = await write(request, store)
    tx = await run_in_threadpool(
        prepare_register, p, content_salt(new.audio_cid), body.strategy, artist
    )
    return CreatedSong(song=song, register_tx=tx)


@router.patch("/api/songs/{song_id}", dependencies=[Depends(rate_limit("write", 120))])
def edit_song(
    song_id: str, body: SongPatch, artist: CurrentAddress, session: WriteSession
) -> SongDetail:
    """Change a song's title, genre or cover (its artist only)."""
    songs = SongRepository(session)
    song = songs.get(song_id_param(song_id))
    if song is None:
        raise APIError(404, f"song {song_id} not found")
    if song.artist.lower() != artist.lower():
        raise APIError(403, "only the song's artist can edit it")
    changes: dict[str, Any] = body.model_dump(exclude_none=True)
    if "genre" in changes:
        changes["genre"] = changes["genre"].strip().lower()
    song = songs.update(song.song_id, **changes)
    return SongDetail.model_validate(song_detail(song))


@router.delete(
    "/api/songs/{song_id}",
    status_code=204,
    responses={403: {}, 404: {}, 409: {"description": "registered on chain"}},
    dependencies=[Depends(rate_limit("write", 120))],
)
def delete_draft(song_id: str, artist: CurrentAddress, session: WriteSession) -> None:
    """Withdraw a song described here but never registered on chain (its artist only): what
    an upload leaves when the artist declines to sign the registration. A registered song
    cannot be deleted (409)."""
    songs = SongRepository(session)
    song = songs.get(song_id_param(song_id))
    if song is None:
        raise APIError(404, f"song {song_id} not found")
    if song.artist.lower() != artist.lower():
        raise APIError(403, "only the song's artist can delete it")
    songs.delete_draft(song.song_id)


@router.get("/api/artists/{address}", responses={404: {}})
def get_artist(address: str, session: ReadSession) -> ArtistOut:
    """An artist's profile and number of songs."""
    artists = ArtistRepository(session)
    found = artists.get(address_param(address))
    if found is None:
        raise APIError(404, f"artist {address} not found")
    return ArtistOut(
        address=to_checksum(found.address),
        name=found.name,
        bio=found.bio or "",
        songs=artists.song_count(found.address),
    )


@router.put("/api/artists/me", dependencies=[Depends(rate_limit("write", 120))])
def update_me(body: ArtistIn, address: CurrentAddress, session: WriteSession) -> ArtistOut:
    """Set the signed-in artist's name and bio."""
    artists = ArtistRepository(session)
    artists.ensure(address)
    found = artists.update_profile(address, name=body.name, bio=body.bio)
    return ArtistOut(
        address=to_checksum(found.address),
        name=found.name,
        bio=found.bio or "",
        songs=artists.song_count(address),
    )

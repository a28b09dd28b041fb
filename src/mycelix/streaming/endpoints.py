"""`GET /api/songs/{song_id}/audio` (gated) and `GET /api/content/{cid}` (public covers).

A gated song streams to a listener the chain authorises now (free songs, patrons, auction slot
holders) or who paid for a play of it in the last `PAID_PLAY_WINDOW` seconds (indexed `Payment`
events). Authorisation answers are cached briefly because a player sends many range requests
per play.

Bytes: under a server with the ASGI path-send extension (Granian, what `mycelix serve` runs)
a range covering the whole file — what a player asks first (`bytes=0-`), and a plain GET —
is sent by the server from the file (`http.response.pathsend`): the access check ran here, the
bytes never enter Python. Other ranges, and other servers, read the range in chunks
(`ContentStore.read_range`). Once this route has answered a song, a whole-file request for it
from someone not signed in is answered before routing (`mycelix.streaming.fastpath`) from the
same memo and access cache."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from mycelix.api.deps import OptionalAddress, PlatformDep
from mycelix.api.errors import APIError
from mycelix.api.params import song_id_param
from mycelix.catalog.repositories import SongRepository, UploadRepository
from mycelix.platform import Platform
from mycelix.storage import ContentNotFound, parse_cid, plan_response
from mycelix.streaming.access import can_stream

router = APIRouter(tags=["streaming"])
PATHSEND = "http.response.pathsend"
AUDIO_MEMO = "song_audio"  # platform.extras: song id -> (audio CID, media type)


class PathSendResponse(Response):
    """A whole file, sent by the server itself (the ASGI path-send extension)."""

    def __init__(self, path: Path, status_code: int, headers: Mapping[str, str]) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": PATHSEND, "path": str(self.path)})


RANGE_DOC: dict[int | str, dict[str, Any]] = {
    206: {"description": "Partial content"},
    304: {"description": "Not modified"},
    403: {"description": "Payment or patronage needed"},
    404: {"description": "Unknown song or content"},
    416: {"description": "Range not satisfiable"},
}


async def _serve(
    p: Platform, request: Request, cid: str, media_type: str, public: bool
) -> Response:
    try:
        size = await p.store.size(cid)
    except ContentNotFound as exc:
        raise ContentNotFound(f"content {cid} is not in the store") from exc
    plan = plan_response(
        cid=cid,
        size=size,
        media_type=media_type,
        range_header=request.headers.get("range"),
        if_range=request.headers.get("if-range"),
        if_none_match=request.headers.get("if-none-match"),
        public=public,
    )
    p.metrics.streams.labels(str(plan.status)).inc()
    if plan.status == 416:  # the error shape, like every other refusal
        headers = {k: v for k, v in plan.headers.items() if k.lower() != "content-length"}
        raise APIError(
            416,
            f"range {request.headers.get('range')!r} is not within the {size} bytes of {cid}",
            headers=headers,
        )
    if plan.body is None:
        return Response(status_code=plan.status, headers=plan.headers)
    start, end = plan.body.start, plan.body.end
    p.metrics.stream_bytes.inc(end - start + 1)
    if request.method == "HEAD":
        return Response(status_code=plan.status, headers=plan.headers)
    if start == 0 and end == size - 1 and PATHSEND in request.scope.get("extensions", {}):
        path = p.store.local_path(cid)
        if path is not None:
            return PathSendResponse(path, plan.status, plan.headers)
    return StreamingResponse(
        p.store.read_range(cid, start, end), status_code=plan.status, headers=plan.headers
    )


@router.head("/api/songs/{song_id}/audio", include_in_schema=False)
@router.get("/api/songs/{song_id}/audio", responses=RANGE_DOC)
async def song_audio(
    song_id: str, request: Request, p: PlatformDep, listener: OptionalAddress
) -> Response:
    """The song's audio, with HTTP Range support. Sign in (bearer token or cookie) to stream a
    song that needs payment, patronage or an auction slot."""
    sid = song_id_param(song_id)
    # A song's audio never changes (its id derives from the audio's CID), so remember where it
    # is: a player sends many range requests per play, and each lookup cost ~1 ms of ORM.
    audio: dict[str, tuple[str, str | None]] = p.extras.setdefault(AUDIO_MEMO, {})
    cid, media_type = audio.get(sid, (None, None))
    if cid is None:
        cid, media_type = await run_in_threadpool(_song_audio, p, sid)
        if cid is not None:
            if len(audio) > 100_000:
                audio.clear()
            audio[sid] = (cid, media_type)
    if cid is None:
        raise APIError(404, f"song {song_id} has no audio here")
    allowed, reason, public = await can_stream(p, sid, listener, time.time())
    if not allowed:
        p.metrics.stream_denied.labels(reason).inc()
        raise APIError(
            403, _DENIED[reason], "payment_required" if reason == "unpaid" else "forbidden"
        )
    return await _serve(p, request, cid, media_type or "application/octet-stream", public)


@router.head("/api/content/{cid}", include_in_schema=False)
@router.get("/api/content/{cid}", responses=RANGE_DOC)
async def content(cid: str, request: Request, p: PlatformDep) -> Response:
    """Public content by CID (cover images)."""
    canonical = parse_cid(cid)
    media_type = await run_in_threadpool(_cover_type, p, canonical)
    if media_type is None:
        raise APIError(404, f"no cover image {canonical}")
    return await _serve(p, request, canonical, media_type, public=True)


def _song_audio(p: Platform, song_id: str) -> tuple[str | None, str | None]:
    with p.catalog.read() as session:
        song = SongRepository(session).get(song_id)
        return (song.audio_cid, song.media_type) if song else (None, None)


def _cover_type(p: Platform, cid: str) -> str | None:
    with p.catalog.read() as session:
        upload = UploadRepository(session).get(cid, "cover")
        return upload.media_type if upload is not None else None


_DENIED = {
    "unpaid": "this song is paid per stream: pay for a play (POST /api/tx/stream, or a signed "
    "voucher: POST /api/vouchers), then stream",
    "patrons_only": "this song is for patrons of an exclusive tier",
    "no_slot": "this song is a limited release: buy an auction slot to stream it",
    "unregistered": "this song is not registered on chain yet",
}

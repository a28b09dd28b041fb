"""`POST /api/uploads/{kind}`: the file is the request body, streamed to disk (never held in
memory), sniffed and parsed, stored under its CID. 413 past the limit, 415 for anything that is
not a valid file of that kind, 400 for an empty body; a failure leaves nothing behind."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from mycelix.api.deps import CurrentAddress, PlatformDep, rate_limit, write
from mycelix.api.errors import APIError
from mycelix.catalog.repositories import UploadRepository
from mycelix.storage import DEFAULT_COVER_LIMIT, UploadTooLarge, ingest

router = APIRouter(prefix="/api/uploads", tags=["uploads"])

MiB = 1024 * 1024


class UploadOut(BaseModel):
    cid: str
    kind: str
    size: int
    format: str
    media_type: str
    deduplicated: bool
    duration: float | None = None
    bitrate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    width: int | None = None
    height: int | None = None
    peaks: list[float] | None = None
    url: str | None = Field(
        description="Where a cover is served (`GET /api/content/{cid}`); null for audio, "
        "which streams through its song (`GET /api/songs/{song_id}/audio`) once described."
    )


@router.post(
    "/{kind}",
    status_code=201,
    dependencies=[Depends(rate_limit("upload", 30))],
    responses={400: {}, 401: {}, 413: {}, 415: {}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "audio/*": {"schema": {"type": "string", "format": "binary"}},
                "image/*": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def upload(
    kind: Literal["audio", "cover"],
    request: Request,
    p: PlatformDep,
    uploader: CurrentAddress,
    x_filename: str | None = Header(default=None, max_length=255),
    content_length: int | None = Header(default=None, ge=0),
) -> UploadOut:
    """Upload one audio file (MP3, FLAC, WAV, Ogg Vorbis/Opus, M4A/AAC) or cover image (PNG,
    JPEG, WebP) as the raw request body. Identical bytes are stored once."""
    limit = p.settings.max_upload_mb * MiB if kind == "audio" else DEFAULT_COVER_LIMIT
    metrics = p.metrics
    if content_length is not None and content_length > limit:
        metrics.uploads.labels(kind, "too_large").inc()
        raise APIError(413, str(UploadTooLarge(limit)))
    try:
        result = await ingest(
            p.store,
            request.stream(),
            kind=kind,
            limit=limit,
            filename=x_filename,
            content_type=request.headers.get("content-type"),
        )
    except APIError:
        raise
    except Exception as exc:
        metrics.uploads.labels(kind, getattr(exc, "code", "failed")).inc()
        raise

    def record(session: Session) -> None:
        UploadRepository(session).record(
            cid=result.cid,
            kind=kind,
            size=result.size,
            media_type=result.media_type,
            uploader=uploader,
        )

    try:
        await write(request, record)
    except Exception:
        if not result.deduplicated:
            await p.store.delete(result.cid)
        raise
    if result.peaks is not None:
        await p.store.save_peaks(result.cid, result.peaks)
    metrics.uploads.labels(kind, "stored").inc()
    metrics.upload_bytes.labels(kind).inc(result.size)
    if result.deduplicated:
        metrics.upload_dedup.labels(kind).inc()
    return UploadOut(
        cid=result.cid,
        kind=kind,
        size=result.size,
        format=result.format,
        media_type=result.media_type,
        deduplicated=result.deduplicated,
        duration=result.duration,
        bitrate=result.bitrate,
        sample_rate=result.sample_rate,
        channels=result.channels,
        width=result.width,
        height=result.height,
        peaks=result.peaks,
        url=f"/api/content/{result.cid}" if kind == "cover" else None,
    )

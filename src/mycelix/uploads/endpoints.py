"""`POST /api/uploads/{kind}`: the file is the request body, streamed to disk (never held in
memory), sniffed and parsed, stored under its CID. 413 past the limit, 415 for anything that is
not a valid file of that kind, 400 for an empty body; a failure leaves nothing behind."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from mycelix.api.deps import CurrentAddress, PlatformDep, rate_limit
from mycelix.api.errors import APIError
from mycelix.storage import UploadTooLarge
from mycelix.uploads.service import limit_for, receive

router = APIRouter(prefix="/api/uploads", tags=["uploads"])


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
    url: str


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
    limit = limit_for(p, kind)
    metrics = p.metrics
    if content_length is not None and content_length > limit:
        metrics.uploads.labels(kind, "too_large").inc()
        raise APIError(413, str(UploadTooLarge(limit)))
    result = await receive(
        p,
        request.stream(),
        kind=kind,
        uploader=uploader,
        limit=limit,
        filename=x_filename,
        content_type=request.headers.get("content-type"),
    )
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
        url=f"/api/content/{result.cid}",
    )

"""Receiving one upload: ingest into the content store, record who uploaded it, keep its peaks.

`POST /api/uploads/{kind}` and `mycelix demo` both go through `receive`, so a demo song is
stored, validated and recorded exactly like a user's upload."""

from __future__ import annotations

from mycelix.catalog.repositories import UploadRepository
from mycelix.platform import Platform
from mycelix.storage import DEFAULT_COVER_LIMIT, IngestResult, Kind, ingest
from mycelix.storage.peaks import save_peaks
from mycelix.storage.store import ByteSource

MiB = 1024 * 1024


def limit_for(p: Platform, kind: Kind) -> int:
    """The most bytes an upload of `kind` may have (audio: the `max_upload_mb` setting)."""
    return p.settings.max_upload_mb * MiB if kind == "audio" else DEFAULT_COVER_LIMIT


async def receive(
    p: Platform,
    source: ByteSource,
    *,
    kind: Kind,
    uploader: str,
    limit: int,
    filename: str | None = None,
    content_type: str | None = None,
) -> IngestResult:
    """Ingest `source` (413/415/400 as `StorageError`s, nothing left behind), record the upload
    for `uploader` and save the audio's waveform peaks; counted in the upload metrics."""
    metrics = p.metrics
    try:
        result = await ingest(
            p.store,
            source,
            kind=kind,
            limit=limit,
            filename=filename,
            content_type=content_type,
        )
    except Exception as exc:
        metrics.uploads.labels(kind, getattr(exc, "code", "failed")).inc()
        raise
    try:
        with p.catalog.write() as session:
            UploadRepository(session).record(
                cid=result.cid,
                kind=kind,
                size=result.size,
                media_type=result.media_type,
                uploader=uploader,
            )
    except Exception:
        if not result.deduplicated:
            await p.store.delete(result.cid)
        raise
    if result.peaks is not None:
        save_peaks(p.store.root, result.cid, result.peaks)
    metrics.uploads.labels(kind, "stored").inc()
    metrics.upload_bytes.labels(kind).inc(result.size)
    if result.deduplicated:
        metrics.upload_dedup.labels(kind).inc()
    return result

"""Receiving one upload into a node: the one path the API's `POST /api/uploads/{kind}` and
`mycelix upload` share. Validate and store the bytes (`ingest`), record who uploaded them,
keep the waveform, count it; a failure leaves neither a file nor a row behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.orm import Session

from mycelix.catalog.repositories import UploadRepository
from mycelix.platform import Platform
from mycelix.storage import DEFAULT_COVER_LIMIT, IngestResult, ingest
from mycelix.storage.formats import Kind
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
    limit: int,
    uploader: str | None,
    filename: str | None = None,
    content_type: str | None = None,
    write: Callable[[Callable[[Session], None]], Awaitable[None]] | None = None,
) -> IngestResult:
    """Store `source` as an upload of `kind` by `uploader`. Raises ingest's `StorageError`
    (empty, too large, not that kind) or the source's own error, with nothing stored.
    `write` runs the catalogue unit of work (the API passes its writer queue); by default it
    runs on a worker thread, never on the event loop."""
    metrics = p.metrics
    try:
        result = await ingest(
            p.store, source, kind=kind, limit=limit, filename=filename, content_type=content_type
        )
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

    def record_alone() -> None:
        with p.catalog.write() as session:
            record(session)

    try:
        await (write(record) if write is not None else asyncio.to_thread(record_alone))
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
    return result

"""Upload pipeline: stream into the store, validate, compute the waveform, commit.

    result = await ingest(store, request.stream(), kind="audio", filename="song.mp3")

Nothing is visible in the store until every check has passed, and any failure — too large
(413), empty (400), not audio or corrupt (415), a client that disconnects, a cancelled task —
leaves no file behind. Identical bytes are stored once (`deduplicated=True` on the second
upload). The declared file name and content type are never trusted: the format is sniffed
from the bytes; they only make error messages clearer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import EmptyUpload
from .formats import AudioInfo, Kind
from .images import MAX_COVER_SIDE
from .media import probe_media
from .store import ByteSource, ContentStore
from .waveform import DEFAULT_BUCKETS, compute_peaks
from .work import media_work

MiB = 1024 * 1024
DEFAULT_AUDIO_LIMIT = 200 * MiB
DEFAULT_COVER_LIMIT = 10 * MiB
DEFAULT_LIMITS: dict[str, int] = {"audio": DEFAULT_AUDIO_LIMIT, "cover": DEFAULT_COVER_LIMIT}


@dataclass(frozen=True)
class IngestResult:
    """What was stored. Audio fields are None for covers and image fields None for audio;
    `peaks` is None where the format cannot be decoded here (M4A)."""

    cid: str
    size: int
    kind: Kind
    format: str  # "mp3", "flac", "wav", "ogg", "opus", "m4a", "png", "jpeg", "webp"
    media_type: str  # Content-Type to serve it with
    deduplicated: bool
    codec: str | None = None
    duration: float | None = None  # seconds
    bitrate: int | None = None  # bits per second
    sample_rate: int | None = None
    channels: int | None = None
    width: int | None = None
    height: int | None = None
    peaks: list[float] | None = None


async def ingest(
    store: ContentStore,
    source: ByteSource,
    *,
    kind: Kind,
    limit: int | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    peaks: int = DEFAULT_BUCKETS,
    max_width: int = MAX_COVER_SIDE,
    max_height: int = MAX_COVER_SIDE,
) -> IngestResult:
    """Receive one upload of `kind` ("audio" or "cover") into `store`.

    `limit` defaults to DEFAULT_LIMITS[kind] (200 MiB audio, 10 MiB covers). `peaks` is the
    number of waveform buckets for audio. Raises a `StorageError` (400/413/415) or whatever
    the source raised (e.g. a client disconnect); in every failure case the store is left
    as it was.
    """
    if kind not in DEFAULT_LIMITS:
        raise ValueError(f"kind must be 'audio' or 'cover', not {kind!r}")
    limit = DEFAULT_LIMITS[kind] if limit is None else limit
    declared = filename or content_type
    async with store.stage(source, limit=limit) as staged:
        if staged.size == 0:
            raise EmptyUpload("the upload is empty (0 bytes)")
        info = await media_work(
            probe_media,
            staged.path,
            kind,
            filename=declared,
            max_width=max_width,
            max_height=max_height,
        )
        waveform = None
        if isinstance(info, AudioInfo):
            waveform = await media_work(compute_peaks, staged.path, info.format, peaks)
        stored = await store.commit(staged)
    if isinstance(info, AudioInfo):
        return IngestResult(
            cid=stored.cid,
            size=stored.size,
            kind=kind,
            format=info.format,
            media_type=info.media_type,
            deduplicated=stored.deduplicated,
            codec=info.codec,
            duration=info.duration,
            bitrate=info.bitrate,
            sample_rate=info.sample_rate,
            channels=info.channels,
            peaks=waveform,
        )
    return IngestResult(
        cid=stored.cid,
        size=stored.size,
        kind=kind,
        format=info.format,
        media_type=info.media_type,
        deduplicated=stored.deduplicated,
        width=info.width,
        height=info.height,
    )

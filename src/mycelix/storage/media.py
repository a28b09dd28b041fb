"""Sniff and validate an uploaded file as audio or a cover image.

`probe_media(path, kind)` is the one entry point: it recognises the format from the bytes
(never from the file name or the declared content type, which only appear in messages) and
hands over to the audio (mutagen + structure checks) or image (Pillow) probe. Errors are
`StorageError`s with an HTTP status: 400 empty, 415 unsupported, corrupt or truncated.
"""

from __future__ import annotations

from pathlib import Path

from .audio import probe_audio
from .errors import EmptyUpload, UnsupportedMedia
from .formats import (
    AUDIO_FORMATS,
    IMAGE_FORMATS,
    SUPPORTED_AUDIO,
    SUPPORTED_IMAGES,
    AudioInfo,
    ImageInfo,
    Kind,
)
from .images import MAX_COVER_SIDE, probe_image
from .sniff import Sniffed, sniff, sniff_file

__all__ = [
    "AudioInfo",
    "ImageInfo",
    "Kind",
    "Sniffed",
    "probe_audio",
    "probe_image",
    "probe_media",
    "rejection",
    "sniff",
    "sniff_file",
]


def rejection(sniffed: Sniffed, kind: Kind, filename: str | None = None) -> UnsupportedMedia:
    """The 415 for bytes that are not an accepted format of `kind`."""
    named = f" (uploaded as {filename!r})" if filename else ""
    if kind == "audio":
        if sniffed.kind == "audio":
            return UnsupportedMedia(
                f"unsupported audio format{named}: the bytes look like {sniffed.label}; "
                f"upload {SUPPORTED_AUDIO}"
            )
        if sniffed.name == "unknown":
            return UnsupportedMedia(
                f"not an audio file{named}: the bytes match no supported format ({SUPPORTED_AUDIO})"
            )
        return UnsupportedMedia(f"not an audio file{named}: the bytes look like {sniffed.label}")
    if sniffed.kind == "image":
        return UnsupportedMedia(
            f"unsupported image format{named}: the bytes look like {sniffed.label}; "
            f"use {SUPPORTED_IMAGES}"
        )
    if sniffed.name == "unknown":
        return UnsupportedMedia(
            f"not an image{named}: the bytes match no supported format ({SUPPORTED_IMAGES})"
        )
    return UnsupportedMedia(f"not an image{named}: the bytes look like {sniffed.label}")


def probe_media(
    path: str | Path,
    kind: Kind,
    *,
    filename: str | None = None,
    max_width: int = MAX_COVER_SIDE,
    max_height: int = MAX_COVER_SIDE,
) -> AudioInfo | ImageInfo:
    """Validate a file as `kind` ("audio" or "cover") and describe it."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmptyUpload("the upload is empty (0 bytes)")
    sniffed = sniff_file(path)
    accepted = AUDIO_FORMATS if kind == "audio" else IMAGE_FORMATS
    if not (sniffed.supported and sniffed.name in accepted):
        raise rejection(sniffed, kind, filename)
    if kind == "audio":
        return probe_audio(path, sniffed.name)
    return probe_image(path, sniffed.name, max_width=max_width, max_height=max_height)

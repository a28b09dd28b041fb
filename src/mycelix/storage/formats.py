"""The media formats the store accepts, and what probing a file tells about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["audio", "cover"]


@dataclass(frozen=True)
class MediaFormat:
    name: str  # short id: "mp3", "png", ...
    kind: Kind
    media_type: str  # the Content-Type it is served with
    extension: str
    label: str  # for messages: "an MP3 audio file"


AUDIO_FORMATS: dict[str, MediaFormat] = {
    f.name: f
    for f in (
        MediaFormat("mp3", "audio", "audio/mpeg", ".mp3", "an MP3 audio file"),
        MediaFormat("flac", "audio", "audio/flac", ".flac", "a FLAC audio file"),
        MediaFormat("wav", "audio", "audio/wav", ".wav", "a WAV audio file"),
        MediaFormat("ogg", "audio", "audio/ogg", ".ogg", "an Ogg Vorbis audio file"),
        MediaFormat("opus", "audio", "audio/ogg", ".opus", "an Ogg Opus audio file"),
        MediaFormat("m4a", "audio", "audio/mp4", ".m4a", "an M4A (AAC) audio file"),
    )
}

IMAGE_FORMATS: dict[str, MediaFormat] = {
    f.name: f
    for f in (
        MediaFormat("png", "cover", "image/png", ".png", "a PNG image"),
        MediaFormat("jpeg", "cover", "image/jpeg", ".jpg", "a JPEG image"),
        MediaFormat("webp", "cover", "image/webp", ".webp", "a WebP image"),
    )
}

SUPPORTED_AUDIO = "MP3, FLAC, WAV, Ogg Vorbis, Ogg Opus or M4A (AAC)"
SUPPORTED_IMAGES = "PNG, JPEG or WebP"


@dataclass(frozen=True)
class AudioInfo:
    """What an accepted audio file is, read from its bytes."""

    format: str  # key of AUDIO_FORMATS
    media_type: str
    codec: str  # "mp3", "flac", "pcm_s16le", "pcm_f32le", "vorbis", "opus", "aac"
    duration: float  # seconds
    bitrate: int  # bits per second (the average over the file for VBR)
    sample_rate: int  # Hz (Opus: 48000, the rate it always decodes at)
    channels: int
    bits_per_sample: int | None = None  # lossless formats only


@dataclass(frozen=True)
class ImageInfo:
    """What an accepted cover image is."""

    format: str  # key of IMAGE_FORMATS
    media_type: str
    width: int
    height: int

"""Waveform peaks for the player, computed once at upload from the decoded audio.

The result is `buckets` (default 1024) values in 0..1: the largest absolute sample value (over
all channels) in each of `buckets` equal slices of the track, relative to digital full scale
— not rescaled to the loudest bucket, so a quiet master looks quiet; a player that wants it
fuller can normalise (wavesurfer.js: `normalize: true`). A track shorter than `buckets`
samples gets one value per sample.

Decoders: the stdlib `wave` module for PCM WAV; soundfile (libsndfile with mpg123, FLAC,
Vorbis and Opus, bundled in its wheels) for MP3, FLAC, Ogg Vorbis, Ogg Opus and float WAV.
M4A/AAC has no decoder here (libsndfile has none and the only wheel that has one bundles all
of FFmpeg), so its peaks are None, and so are any file's that fail to decode: peaks are a
nicety, never a reason to refuse an upload. Decoding reads blocks of 64k frames, so memory
stays flat whatever the length.
"""

from __future__ import annotations

import logging
import wave
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

DEFAULT_BUCKETS = 1024
DECODABLE = frozenset({"wav", "mp3", "flac", "ogg", "opus"})
_BLOCK_FRAMES = 65536
_OVERSAMPLE = 8  # intermediate peaks per final bucket

log = logging.getLogger(__name__)


def compute_peaks(path: str | Path, fmt: str, buckets: int = DEFAULT_BUCKETS) -> list[float] | None:
    """Peaks of the audio file at `path` (format `fmt`, a key of AUDIO_FORMATS), or None
    when the format cannot be decoded here (M4A) or decoding fails."""
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    if fmt not in DECODABLE:
        return None
    path = Path(path)
    try:
        if fmt == "wav":
            try:
                with wave.open(str(path), "rb") as reader:
                    return _peaks(
                        reader.getnframes(), lambda size: _wave_blocks(reader, size), buckets
                    )
            except (wave.Error, EOFError):
                pass  # float or extensible WAV: libsndfile reads those
        import soundfile

        frames = int(soundfile.info(str(path)).frames)
        return _peaks(
            frames,
            lambda size: soundfile.blocks(str(path), size, dtype="float32", always_2d=True),
            buckets,
        )
    except Exception:
        log.warning("could not decode %s (%s) for its waveform", path, fmt, exc_info=True)
        return None


def _peaks(
    frames_hint: int, blocks: Callable[[int], Iterable[np.ndarray]], buckets: int
) -> list[float] | None:
    """Reduce decoded blocks (frames × channels, float in -1..1) to peaks. `frames_hint` only
    sizes the intermediate resolution: a wrong hint (MP3 length estimates) costs nothing."""
    hop = max(1, frames_hint // (buckets * _OVERSAMPLE))
    block_frames = max(hop, (_BLOCK_FRAMES // hop) * hop)
    parts: list[np.ndarray] = []
    total = 0
    for block in blocks(block_frames):
        if block.size == 0:
            continue
        envelope = np.abs(block).max(axis=1)
        total += envelope.shape[0]
        full = (envelope.shape[0] // hop) * hop
        if full:
            parts.append(envelope[:full].reshape(-1, hop).max(axis=1))
        if full < envelope.shape[0]:
            parts.append(envelope[full:].max(keepdims=True))
    if not total:
        return None
    micro = np.concatenate(parts)
    count = min(buckets, micro.shape[0])
    starts = (np.arange(count) * micro.shape[0]) // count
    peaks = np.maximum.reduceat(micro, starts)
    return [round(float(v), 4) for v in np.clip(peaks, 0.0, 1.0)]


def _wave_blocks(reader: wave.Wave_read, size: int) -> Iterator[np.ndarray]:
    width, channels = reader.getsampwidth(), reader.getnchannels()
    while raw := reader.readframes(size):
        yield _pcm_to_float(raw, width).reshape(-1, channels)


def _pcm_to_float(raw: bytes, width: int) -> np.ndarray:
    usable = len(raw) - len(raw) % width
    if width == 1:
        return (np.frombuffer(raw, np.uint8, usable).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, "<i2", usable // 2).astype(np.float32) / 32768.0
    if width == 3:
        b = np.frombuffer(raw, np.uint8, usable).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        return ints.astype(np.float32) / 8388608.0
    if width == 4:
        return np.frombuffer(raw, "<i4", usable // 4).astype(np.float32) / 2147483648.0
    raise ValueError(f"unsupported sample width {width}")

"""Generate real media files in memory: audio in every accepted format, and cover images.

Used by the tests and the benchmarks (no binary file is ever committed; the demo has its own
pieces, in `mycelix.demo.media`). Audio is a deterministic little piece — a chord progression
with plucked-note envelopes — so its waveform has a visible shape. Encoders: the stdlib `wave`
module for WAV; soundfile (its wheels bundle libsndfile with LAME, mpg123, FLAC, Vorbis and
Opus) for MP3, FLAC, Ogg Vorbis and Ogg Opus; PyAV (a test extra, bundling FFmpeg) for M4A/AAC
only; Pillow for images.
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator

import numpy as np

# A I–V–vi–IV progression in C major (Hz), one chord per beat-group.
_CHORDS = (
    (261.63, 329.63, 392.00),
    (196.00, 246.94, 293.66),
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
)


def song(
    seconds: float = 3.0,
    sample_rate: int = 44100,
    channels: int = 2,
    *,
    seed: int = 0,
    amplitude: float = 0.6,
    start: int = 0,
    frames: int | None = None,
) -> np.ndarray:
    """Float32 samples shaped (frames, channels) in -1..1: a chord every half second, each
    note plucked (fast attack, exponential decay), slightly detuned per channel.

    `start`/`frames` select a slice of the piece, so long pieces can be made in blocks.
    """
    total = round(seconds * sample_rate)
    count = total - start if frames is None else min(frames, total - start)
    count = max(count, 0)
    t = (np.arange(start, start + count, dtype=np.float64)) / sample_rate
    beat = 0.5
    index = np.floor(t / beat).astype(np.int64)
    phase_in_beat = t - index * beat
    envelope = np.minimum(phase_in_beat / 0.01, 1.0) * np.exp(-phase_in_beat * 5.0)
    out = np.zeros((count, channels), dtype=np.float64)
    rng = np.random.default_rng(seed)
    detune = 1.0 + rng.uniform(-0.002, 0.002, size=channels)
    for note in range(3):
        freqs = np.array([c[note] for c in _CHORDS])[(index + seed) % len(_CHORDS)]
        for ch in range(channels):
            out[:, ch] += np.sin(2 * np.pi * freqs * detune[ch] * t) / 3
    out *= (amplitude * envelope)[:, None]
    return out.astype(np.float32)


def to_pcm(samples: np.ndarray, sample_width: int = 2) -> bytes:
    """Interleaved little-endian PCM (8-bit unsigned, 16/24/32-bit signed)."""
    clipped = np.clip(samples, -1.0, 1.0)
    if sample_width == 1:
        return ((clipped * 127.0) + 128.0).round().astype(np.uint8).tobytes()
    if sample_width == 2:
        return (clipped * 32767.0).round().astype("<i2").tobytes()
    if sample_width == 3:
        ints = (clipped * 8388607.0).round().astype("<i4").reshape(-1)
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    if sample_width == 4:
        return (clipped * 2147483647.0).round().astype("<i4").tobytes()
    raise ValueError(f"unsupported sample width {sample_width}")


def wav_bytes(
    seconds: float = 3.0,
    sample_rate: int = 44100,
    channels: int = 2,
    sample_width: int = 2,
    *,
    seed: int = 0,
) -> bytes:
    """A PCM WAV file written with the stdlib `wave` module."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(sample_width)
        writer.setframerate(sample_rate)
        writer.writeframes(to_pcm(song(seconds, sample_rate, channels, seed=seed), sample_width))
    return buffer.getvalue()


def wav_chunks(
    seconds: float,
    sample_rate: int = 44100,
    channels: int = 2,
    sample_width: int = 2,
    *,
    seed: int = 0,
    block_frames: int = 16384,
) -> Iterator[bytes]:
    """A PCM WAV file as a stream of chunks, made block by block in constant memory (for big
    uploads). Byte-identical to `wav_bytes` with the same arguments."""
    total = round(seconds * sample_rate)
    data_size = total * channels * sample_width
    yield (
        b"RIFF"
        + struct.pack("<I", 36 + data_size + (data_size & 1))
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH",
            16,
            1,
            channels,
            sample_rate,
            sample_rate * channels * sample_width,
            channels * sample_width,
            sample_width * 8,
        )
        + b"data"
        + struct.pack("<I", data_size)
    )
    for start in range(0, total, block_frames):
        block = song(seconds, sample_rate, channels, seed=seed, start=start, frames=block_frames)
        yield to_pcm(block, sample_width)
    if data_size & 1:
        yield b"\x00"


def _soundfile(samples: np.ndarray, sample_rate: int, **kwargs: object) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate, **kwargs)
    return buffer.getvalue()


def mp3_bytes(
    seconds: float = 3.0,
    sample_rate: int = 44100,
    channels: int = 2,
    *,
    seed: int = 0,
    compression_level: float = 0.5,
    constant_bitrate: bool = True,
) -> bytes:
    """An MP3 (LAME via libsndfile, with a LAME Info/Xing header). Compression level 0.5 is
    160 kbit/s CBR at 44.1/48 kHz, 0.0 is 320 kbit/s."""
    return _soundfile(
        song(seconds, sample_rate, channels, seed=seed),
        sample_rate,
        format="MP3",
        subtype="MPEG_LAYER_III",
        compression_level=compression_level,
        bitrate_mode="CONSTANT" if constant_bitrate else "VARIABLE",
    )


def flac_bytes(
    seconds: float = 3.0, sample_rate: int = 44100, channels: int = 2, *, seed: int = 0
) -> bytes:
    """A 16-bit FLAC file."""
    samples = song(seconds, sample_rate, channels, seed=seed)
    return _soundfile(samples, sample_rate, format="FLAC", subtype="PCM_16")


def ogg_vorbis_bytes(
    seconds: float = 3.0, sample_rate: int = 44100, channels: int = 2, *, seed: int = 0
) -> bytes:
    """An Ogg Vorbis file."""
    samples = song(seconds, sample_rate, channels, seed=seed)
    return _soundfile(samples, sample_rate, format="OGG", subtype="VORBIS")


def opus_bytes(seconds: float = 3.0, channels: int = 2, *, seed: int = 0) -> bytes:
    """An Ogg Opus file at 48 kHz."""
    samples = song(seconds, 48000, channels, seed=seed)
    return _soundfile(samples, 48000, format="OGG", subtype="OPUS")


def m4a_bytes(
    seconds: float = 3.0,
    sample_rate: int = 44100,
    channels: int = 2,
    *,
    seed: int = 0,
    bitrate: int = 128_000,
) -> bytes:
    """An M4A (AAC-LC in MP4) file, encoded with PyAV's bundled FFmpeg.

    PyAV is a test extra (`pip install -e '.[test]'`); without it this raises RuntimeError.
    """
    try:
        import av
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("M4A generation needs PyAV: pip install av") from exc
    layout = "mono" if channels == 1 else "stereo"
    planar = np.ascontiguousarray(song(seconds, sample_rate, channels, seed=seed).T)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=sample_rate, layout=layout)
        stream.bit_rate = bitrate
        for start in range(0, planar.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, start : start + 1024]), format="fltp", layout=layout
            )
            frame.sample_rate = sample_rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def audio_bytes(fmt: str, seconds: float = 3.0, *, seed: int = 0, **kwargs: object) -> bytes:
    """A file of the given format: "wav", "mp3", "flac", "ogg", "opus" or "m4a"."""
    makers = {
        "wav": wav_bytes,
        "mp3": mp3_bytes,
        "flac": flac_bytes,
        "ogg": ogg_vorbis_bytes,
        "opus": opus_bytes,
        "m4a": m4a_bytes,
    }
    return makers[fmt](seconds, seed=seed, **kwargs)  # type: ignore[operator]


def cover_image(width: int = 512, height: int = 512, *, seed: int = 0) -> object:
    """A Pillow RGB image: a diagonal gradient with concentric rings (deterministic)."""
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    hue = (seed * 47) % 256
    cx, cy = width / 2, height / 2
    rings = (np.sin(np.hypot(x - cx, y - cy) / max(width, height) * 40) + 1) * 60
    red = (x / max(width - 1, 1) * 255 + hue) % 256
    green = (y / max(height - 1, 1) * 200 + rings) % 256
    blue = (255 - red / 2 + rings) % 256
    pixels = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def image_bytes(fmt: str = "png", width: int = 512, height: int = 512, *, seed: int = 0) -> bytes:
    """A cover image as "png", "jpeg", "webp" (or any format Pillow writes, e.g. "gif")."""
    image = cover_image(width, height, seed=seed)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt.upper())  # type: ignore[attr-defined]
    return buffer.getvalue()

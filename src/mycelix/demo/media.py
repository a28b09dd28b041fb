"""The demo's recordings and covers, synthesised per song (nothing binary is committed).

Each song gets a short piece of its own: a key, mode, tempo, chord progression, melody and
timbre drawn from a generator seeded by its title, so a song always sounds the same and two
songs never do. Additive synthesis (a few harmonics per voice, a plucked or swelling envelope)
in numpy; encoded in the upload formats WAV, FLAC and Ogg Vorbis by turns (soundfile). Covers
are Pillow drawings from the same seed: a gradient, a mycelium of branching threads and rings.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 32_000  # enough for these timbres, and a third less to store than 48 kHz
SECONDS = 4.0
COVER_SIDE = 256  # cards show covers at about 240 px; a page of them stays light
# Encodings in turn: the first song is WAV, whose bytes are deterministic (the run number is
# found from its id); Vorbis streams carry a random serial, so their bytes vary per encoding.
FORMATS = ("wav", "flac", "ogg")

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 4), (5, 3, 0, 4), (0, 2, 5, 4))


@dataclass(frozen=True)
class Recording:
    data: bytes
    format: str  # "wav", "flac" or "ogg"
    filename: str


@dataclass(frozen=True)
class Cover:
    data: bytes
    format: str  # "png" or "jpeg"
    filename: str


def _rng(title: str) -> random.Random:
    return random.Random(f"mycelix demo recording: {title}")


def _hz(midi: float) -> float:
    return float(440.0 * 2 ** ((midi - 69) / 12))


def _voice(
    t: np.ndarray, freq: float, harmonics: tuple[float, ...], attack: float, decay: float
) -> np.ndarray:
    """One note: `harmonics` are the partials' amplitudes; a linear attack, exponential decay."""
    wave = np.zeros_like(t)
    for n, amp in enumerate(harmonics, start=1):
        wave += amp * np.sin(2 * np.pi * freq * n * t)
    envelope = np.minimum(t / attack, 1.0) * np.exp(-t * decay)
    return wave * envelope


def synthesise(title: str, seconds: float = SECONDS, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Float32 stereo samples (frames, 2) in -1..1: chords, a bass line and a melody."""
    rng = _rng(title)
    root = 48 + rng.randrange(12)  # C3..B3
    scale = _MINOR if rng.random() < 0.5 else _MAJOR
    progression = rng.choice(_PROGRESSIONS)
    bpm = rng.choice((84, 96, 108, 120, 132))
    beat = 60.0 / bpm
    lead = tuple(round(rng.uniform(0.05, 0.6) / n, 3) for n in range(1, 6))
    pad = (1.0, round(rng.uniform(0.1, 0.5), 3), round(rng.uniform(0.0, 0.2), 3))
    pluck = rng.uniform(2.0, 6.0)
    frames = round(seconds * sample_rate)
    out = np.zeros((frames, 2))

    def play(
        start: float,
        length: float,
        note: int,
        timbre: tuple[float, ...],
        gains: tuple[float, float],
        attack: float,
        decay: float,
    ) -> None:
        first = round(start * sample_rate)
        count = min(round(length * sample_rate), frames - first)
        if count > 0:
            sound = _voice(np.arange(count) / sample_rate, _hz(note), timbre, attack, decay)
            out[first : first + count] += sound[:, None] * np.array(gains)

    def degree(step: int, octave: int = 0) -> int:
        return root + scale[step % 7] + 12 * (octave + step // 7)

    bar = 4 * beat
    for i in range(int(np.ceil(seconds / bar))):
        chord = progression[i % len(progression)]
        for offset in (0, 2, 4):
            play(i * bar, bar, degree(chord + offset), pad, (0.12, 0.12), 0.08, 1.2)
        for b in range(4):
            play(i * bar + b * beat, beat, degree(chord, -1), (1.0, 0.3), (0.22, 0.22), 0.005, 4.0)
    # The melody: a random walk on the scale, eighth notes with the odd rest.
    pan = rng.uniform(0.3, 0.7)
    step = rng.randrange(7)
    position = 0.0
    while position < seconds:
        length = beat / 2 * rng.choice((1, 1, 1, 2))
        if rng.random() > 0.15:
            gains = (0.3 * (1 - pan), 0.3 * pan)
            play(position, length * 1.5, degree(step, 1), lead, gains, 0.01, pluck)
        step = max(0, min(13, step + rng.choice((-2, -1, -1, 1, 1, 2))))
        position += length
    samples = out
    fade = min(frames, round(0.3 * sample_rate))
    samples[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    peak = float(np.max(np.abs(samples))) or 1.0
    return (samples * (0.8 / peak)).astype(np.float32)


def recording(title: str, index: int) -> Recording:
    """The song's piece encoded in FORMATS[index % 3]."""
    import soundfile

    fmt = FORMATS[index % len(FORMATS)]
    subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}[fmt]
    buffer = io.BytesIO()
    soundfile.write(buffer, synthesise(title), SAMPLE_RATE, format=fmt.upper(), subtype=subtype)
    return Recording(buffer.getvalue(), fmt, f"{_slug(title)}.{fmt}")


def cover(title: str, index: int, side: int = COVER_SIDE) -> Cover:
    """A square cover: PNG and JPEG by turns."""
    from PIL import Image, ImageDraw

    rng = _rng(f"cover: {title}")
    hue = rng.random()
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * x + np.sin(angle) * y + 1.5) / 3
    base = np.stack([_channel(hue + k / 3, ramp) for k in range(3)], axis=-1)
    image = Image.fromarray((base * 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    ink = tuple(int(255 * _channel(hue + 0.5 + k / 3, np.array(0.9)).item()) for k in range(3))
    # Threads branching from a few spores: the mycelium.
    for _ in range(rng.randrange(3, 7)):
        _thread(draw, rng, (rng.uniform(0, side), rng.uniform(0, side)), side / 5, 5, ink)
    for _ in range(rng.randrange(2, 6)):
        cx, cy, r = rng.uniform(0, side), rng.uniform(0, side), rng.uniform(side / 20, side / 5)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=max(2, side // 96))
    fmt = "png" if index % 2 == 0 else "jpeg"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt.upper(), optimize=True)
    return Cover(buffer.getvalue(), fmt, f"{_slug(title)}.{'png' if fmt == 'png' else 'jpg'}")


def _channel(hue: float, ramp: np.ndarray) -> np.ndarray:
    return np.asarray(0.25 + 0.55 * ramp * (0.5 + 0.5 * np.cos(2 * np.pi * hue)))


def _thread(
    draw: object,
    rng: random.Random,
    start: tuple[float, float],
    length: float,
    depth: int,
    ink: tuple[int, ...],
) -> None:
    if depth == 0:
        return
    angle = rng.uniform(0, 2 * np.pi)
    end = (start[0] + length * np.cos(angle), start[1] + length * np.sin(angle))
    draw.line((start, end), fill=ink, width=max(1, depth))  # type: ignore[attr-defined]
    for _ in range(rng.choice((1, 2, 2))):
        _thread(draw, rng, end, length * 0.7, depth - 1, ink)


def _slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())

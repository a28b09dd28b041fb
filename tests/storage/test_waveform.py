from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from mycelix.storage.waveform import DEFAULT_BUCKETS, compute_peaks
from tests.support import media as fx

from .support import audio


def write(tmp_path: Path, data: bytes, name: str = "a.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def pcm_wav(samples: np.ndarray, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(samples.shape[1])
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(fx.to_pcm(samples, 2))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """Peaks computed directly from the generated samples."""
    samples = np.abs(fx.song(3.0)).max(axis=1)
    edges = (np.arange(DEFAULT_BUCKETS) * samples.shape[0]) // DEFAULT_BUCKETS
    return np.maximum.reduceat(samples, edges)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "opus"])
def test_peaks_follow_the_signal(fmt: str, tmp_path: Path, reference: np.ndarray) -> None:
    peaks = compute_peaks(write(tmp_path, audio(fmt)), fmt)
    assert peaks is not None
    assert len(peaks) == DEFAULT_BUCKETS
    assert all(0.0 <= p <= 1.0 for p in peaks)
    got = np.array(peaks)
    if fmt in ("wav", "flac"):
        # Lossless: the same up to quantisation, except that bucket edges snap to the
        # intermediate resolution (~1/8 bucket), which moves a peak a little at note onsets.
        error = np.abs(got - reference)
        assert error.max() < 0.1
        assert np.median(error) < 0.001
        assert error.mean() < 0.005
    else:  # lossy codecs shift and smear a little, but the shape is the same
        assert np.corrcoef(got, reference)[0, 1] > 0.9
        assert abs(got.max() - reference.max()) < 0.1


def test_m4a_has_no_decoder(tmp_path: Path) -> None:
    assert compute_peaks(write(tmp_path, audio("m4a")), "m4a") is None


@pytest.mark.parametrize("buckets", [1, 512, 2048])
def test_bucket_count(buckets: int, tmp_path: Path) -> None:
    peaks = compute_peaks(write(tmp_path, audio("wav")), "wav", buckets)
    assert peaks is not None and len(peaks) == buckets


def test_shorter_than_buckets(tmp_path: Path) -> None:
    peaks = compute_peaks(write(tmp_path, pcm_wav(np.full((300, 1), 0.5))), "wav")
    assert peaks is not None and len(peaks) == 300
    assert set(peaks) == {0.5}


def test_known_shape(tmp_path: Path) -> None:
    silent = np.zeros((4000, 2))
    loud = np.tile([[0.9, -0.9], [-0.9, 0.9]], (2000, 1))
    peaks = compute_peaks(write(tmp_path, pcm_wav(np.vstack([silent, loud]))), "wav", 100)
    assert peaks is not None
    assert peaks[:50] == [0.0] * 50
    assert all(p == pytest.approx(0.9, abs=1e-3) for p in peaks[50:])


@pytest.mark.parametrize("width", [1, 3, 4])
def test_sample_widths_agree(width: int, tmp_path: Path) -> None:
    base = compute_peaks(write(tmp_path, fx.wav_bytes(1.0), "16.wav"), "wav")
    other = compute_peaks(write(tmp_path, fx.wav_bytes(1.0, sample_width=width), "n.wav"), "wav")
    assert base is not None and other is not None
    assert np.abs(np.array(base) - np.array(other)).max() < (0.01 if width == 1 else 0.0002)


def test_float_wav_through_soundfile(tmp_path: Path) -> None:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, fx.song(1.0), 44100, format="WAV", subtype="FLOAT")
    peaks = compute_peaks(write(tmp_path, buffer.getvalue()), "wav")
    assert peaks is not None and len(peaks) == DEFAULT_BUCKETS


def test_undecodable_gives_none(tmp_path: Path) -> None:
    assert compute_peaks(write(tmp_path, b"\xff\xfb\x90\x64" + b"\x00" * 100), "mp3") is None
    assert compute_peaks(write(tmp_path, b"not audio"), "flac") is None


def test_bad_bucket_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="buckets must be >= 1"):
        compute_peaks(write(tmp_path, audio("wav")), "wav", 0)

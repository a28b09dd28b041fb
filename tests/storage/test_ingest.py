from __future__ import annotations

import random
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from mycelix.storage import (
    DEFAULT_COVER_LIMIT,
    EmptyUpload,
    LocalContentStore,
    StorageError,
    UnsupportedMedia,
    UploadTooLarge,
    cid_of,
    ingest,
)
from mycelix.storage.formats import Kind
from tests.support import media as fx

from .support import AUDIO_FORMATS, IMAGE_FORMATS, achunks, audio, files_under, image, run

MiB = 1024 * 1024


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_ingest_audio(fmt: str, store: LocalContentStore) -> None:
    data = audio(fmt)
    result = run(ingest(store, achunks(data), kind="audio", filename=f"song.{fmt}"))
    assert result.cid == cid_of(data)
    assert result.size == len(data)
    assert (result.kind, result.format) == ("audio", fmt)
    assert result.media_type.startswith("audio/")
    assert result.duration == pytest.approx(3.0, abs=0.05)
    assert result.bitrate and result.sample_rate and result.channels == 2
    assert result.width is None and result.height is None
    assert not result.deduplicated
    if fmt == "m4a":
        assert result.peaks is None  # no AAC decoder: documented, never a failure
    else:
        assert result.peaks is not None and len(result.peaks) == 1024
        assert max(result.peaks) > 0.3
    assert store.path(result.cid).read_bytes() == data
    assert files_under(store.root) == [store.path(result.cid)]


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_ingest_cover(fmt: str, store: LocalContentStore) -> None:
    data = image(fmt, 320, 240)
    result = run(ingest(store, data, kind="cover"))
    assert (result.format, result.width, result.height) == (fmt, 320, 240)
    assert result.media_type == f"image/{fmt}"
    assert result.duration is None and result.peaks is None
    assert store.path(result.cid).read_bytes() == data


def test_identical_uploads_stored_once(store: LocalContentStore) -> None:
    first = run(ingest(store, achunks(audio("mp3")), kind="audio"))
    second = run(ingest(store, achunks(audio("mp3"), 1000), kind="audio", filename="copy.mp3"))
    assert second.cid == first.cid
    assert not first.deduplicated and second.deduplicated
    assert second.peaks == first.peaks
    assert files_under(store.root) == [store.path(first.cid)]


def test_waveform_bucket_count(store: LocalContentStore) -> None:
    result = run(ingest(store, audio("flac"), kind="audio", peaks=256))
    assert result.peaks is not None and len(result.peaks) == 256


REFUSAL = (
    r"^(corrupt \w|not an (audio file|image)|the upload is empty|the image is \d+×\d+ pixels"
    r"|upload is larger than the limit)"
)


def upload_fails(
    store: LocalContentStore, source: Any, kind: Kind = "audio", **kw: Any
) -> StorageError:
    """Ingest `source`, expect a StorageError, and check the store holds no file at all."""
    before = files_under(store.root)
    with pytest.raises(StorageError, match=REFUSAL) as info:
        run(ingest(store, source, kind=kind, **kw))
    assert files_under(store.root) == before, "a failed upload left a file behind"
    return info.value


@pytest.mark.parametrize(
    ("name", "data", "status", "text"),
    [
        pytest.param("empty", lambda: b"", 400, "empty", id="empty"),
        pytest.param(
            "truncated-wav",
            lambda: audio("wav")[:200_000],
            415,
            "corrupt WAV: truncated",
            id="truncated-wav",
        ),
        pytest.param(
            "truncated-mp3",
            lambda: audio("mp3")[:30_000],
            415,
            "corrupt MP3: truncated",
            id="truncated-mp3",
        ),
        pytest.param(
            "truncated-flac",
            lambda: audio("flac")[:-100],
            415,
            "corrupt FLAC: truncated",
            id="truncated-flac",
        ),
        pytest.param(
            "truncated-ogg",
            lambda: audio("ogg")[:-100],
            415,
            "corrupt Ogg Vorbis: truncated",
            id="truncated-ogg",
        ),
        pytest.param(
            "truncated-m4a",
            lambda: audio("m4a")[:-100],
            415,
            "corrupt M4A: truncated",
            id="truncated-m4a",
        ),
        pytest.param(
            "png-renamed-mp3", lambda: image("png"), 415, "not an audio file", id="png-renamed-mp3"
        ),
        pytest.param(
            "random-bytes",
            lambda: random.Random(7).randbytes(50_000),
            415,
            "not an audio file",
            id="random-bytes",
        ),
    ],
)
def test_bad_audio_leaves_nothing(
    name: str, data: Callable[[], bytes], status: int, text: str, store: LocalContentStore
) -> None:
    error = upload_fails(store, achunks(data()), filename=f"{name}.mp3")
    assert error.status == status
    assert text in error.message


def test_png_renamed_mp3_message(store: LocalContentStore) -> None:
    error = upload_fails(store, image("png"), filename="song.mp3", content_type="audio/mpeg")
    assert error.message == (
        "not an audio file (uploaded as 'song.mp3'): the bytes look like a PNG image"
    )


def test_bad_cover_leaves_nothing(store: LocalContentStore) -> None:
    assert upload_fails(store, audio("mp3"), kind="cover").status == 415
    assert upload_fails(store, image("jpeg")[:-2000], kind="cover").status == 415
    big = fx.image_bytes("png", 800, 100)
    error = upload_fails(store, big, kind="cover", max_width=640)
    assert "800×100" in error.message


def test_oversized_audio_is_413_and_leaves_nothing(store: LocalContentStore) -> None:
    error = upload_fails(store, achunks(audio("wav")), limit=100_000)
    assert isinstance(error, UploadTooLarge) and error.status == 413


def test_oversized_cover_default_limit(store: LocalContentStore) -> None:
    def body() -> Iterator[bytes]:
        yield image("png")
        for _ in range(DEFAULT_COVER_LIMIT // 65536 + 1):
            yield b"\x00" * 65536

    assert upload_fails(store, achunks(body()), kind="cover").status == 413


def test_empty_source_variants(store: LocalContentStore) -> None:
    assert isinstance(upload_fails(store, []), EmptyUpload)
    assert isinstance(upload_fails(store, achunks([b"", b""])), EmptyUpload)


def test_disconnect_leaves_nothing(store: LocalContentStore) -> None:
    class ClientDisconnect(Exception):
        pass

    async def body() -> AsyncIterator[bytes]:
        data = audio("wav")
        yield data[:100_000]
        raise ClientDisconnect

    with pytest.raises(ClientDisconnect, match=r"^$"):
        run(ingest(store, body(), kind="audio"))
    assert files_under(store.root) == []


def test_kind_is_checked(store: LocalContentStore) -> None:
    with pytest.raises(ValueError, match="kind must be 'audio' or 'cover', not 'video'"):
        run(ingest(store, b"x", kind="video"))  # type: ignore[arg-type]


def test_error_body_shape() -> None:
    error = UnsupportedMedia("not an audio file: the bytes look like a PNG image")
    assert error.to_dict() == {
        "error": {
            "code": "unsupported_media_type",
            "message": "not an audio file: the bytes look like a PNG image",
        }
    }


def test_50_mib_wav_ingest_keeps_memory_low(store: LocalContentStore) -> None:
    seconds = 50 * MiB / (44100 * 2 * 2)  # ~297 s of 16-bit stereo: a 50 MiB file
    chunks = fx.wav_chunks(seconds, block_frames=16384)

    tracemalloc.start()
    try:
        result = run(ingest(store, achunks(chunks), kind="audio", limit=60 * MiB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size > 50 * MiB - 100
    assert result.duration == pytest.approx(seconds, abs=0.01)
    assert result.peaks is not None and len(result.peaks) == 1024
    # Upload, sniffing, parsing and decoding all work block by block.
    print(f"peak traced memory {peak / MiB:.2f} MiB for a 50 MiB upload")
    assert peak < 6 * MiB, f"peak traced memory {peak / MiB:.1f} MiB for a 50 MiB upload"

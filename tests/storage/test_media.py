from __future__ import annotations

import io
import mmap
import random
import struct
from pathlib import Path

import mutagen.flac
import numpy as np
import pytest

from mycelix.storage import EmptyUpload, UnsupportedMedia
from mycelix.storage.audio import _flac_frame_header, probe_audio
from mycelix.storage.formats import AudioInfo, ImageInfo, Kind
from mycelix.storage.media import probe_media
from mycelix.storage.sniff import parse_mpeg_header, sniff
from tests.support import media as fx

from .support import AUDIO_FORMATS, IMAGE_FORMATS, audio, image


@pytest.fixture
def write(tmp_path: Path):
    def write(data: bytes, name: str = "upload.bin") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


# Every refusal names what was wrong in one of these words.
REFUSAL = (
    r"^(corrupt \w|not an (audio file|image)|unsupported (audio|image|WAV)|the upload is empty"
    r"|the image is \d+×\d+ pixels)"
)


def reject(path: Path, kind: Kind = "audio", status: int = 415) -> str:
    with pytest.raises((UnsupportedMedia, EmptyUpload), match=REFUSAL) as info:
        probe_media(path, kind)
    assert info.value.status == status, info.value.message
    return info.value.message


# -- properties read from each format --------------------------------------------------


EXPECTED = {
    # format: (media type, codec, sample rate)
    "wav": ("audio/wav", "pcm_s16le", 44100),
    "mp3": ("audio/mpeg", "mp3", 44100),
    "flac": ("audio/flac", "flac", 44100),
    "ogg": ("audio/ogg", "vorbis", 44100),
    "opus": ("audio/ogg", "opus", 48000),
    "m4a": ("audio/mp4", "aac", 44100),
}


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_audio_properties(fmt: str, write) -> None:
    data = audio(fmt, 3.0)
    info = probe_media(write(data, f"song.{fmt}"), "audio")
    assert isinstance(info, AudioInfo)
    media_type, codec, rate = EXPECTED[fmt]
    assert (info.format, info.media_type, info.codec) == (fmt, media_type, codec)
    assert info.sample_rate == rate
    assert info.channels == 2
    # AAC adds ~1024 samples of priming the container does not hide from mutagen.
    assert info.duration == pytest.approx(3.0, abs=0.05)
    average = len(data) * 8 / 3.0
    if fmt == "wav":
        assert info.bitrate == 44100 * 2 * 16
        assert info.bits_per_sample == 16
    elif fmt == "mp3":
        assert info.bitrate == 160_000  # CBR: every frame header says so
    elif fmt == "m4a":
        assert info.bitrate == pytest.approx(128_000, rel=0.15)  # the encoder's target
    else:
        assert info.bitrate == pytest.approx(average, rel=0.1)


@pytest.mark.parametrize(
    ("fmt", "kwargs", "rate", "channels"),
    [
        ("wav", {"sample_rate": 22050, "channels": 1, "sample_width": 1}, 22050, 1),
        ("wav", {"sample_rate": 48000, "channels": 2, "sample_width": 3}, 48000, 2),
        ("mp3", {"sample_rate": 22050, "channels": 1}, 22050, 1),
        ("mp3", {"sample_rate": 48000, "channels": 2, "compression_level": 0.0}, 48000, 2),
        ("flac", {"sample_rate": 96000, "channels": 1}, 96000, 1),
        ("ogg", {"sample_rate": 32000, "channels": 1}, 32000, 1),
        ("opus", {"channels": 1}, 48000, 1),
        ("m4a", {"sample_rate": 48000, "channels": 1}, 48000, 1),
    ],
)
def test_audio_variants(fmt: str, kwargs: dict, rate: int, channels: int, write) -> None:
    info = probe_media(write(fx.audio_bytes(fmt, 2.0, **kwargs)), "audio")
    assert isinstance(info, AudioInfo)
    assert (info.sample_rate, info.channels) == (rate, channels)
    assert info.duration == pytest.approx(2.0, abs=0.05)
    if fmt == "mp3" and kwargs.get("compression_level") == 0.0:
        assert info.bitrate == 320_000


def test_vbr_mp3_duration_and_average_bitrate(write) -> None:
    data = fx.mp3_bytes(4.0, constant_bitrate=False)
    info = probe_media(write(data), "audio")
    assert isinstance(info, AudioInfo)
    assert info.duration == pytest.approx(4.0, abs=0.05)
    assert info.bitrate == pytest.approx(len(data) * 8 / 4.0, rel=0.1)


def test_float_wav_accepted(write) -> None:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, fx.song(1.0), 44100, format="WAV", subtype="FLOAT")
    info = probe_media(write(buffer.getvalue()), "audio")
    assert isinstance(info, AudioInfo) and info.codec == "pcm_f32le"
    assert info.duration == pytest.approx(1.0, abs=0.001)


def test_mp3_with_big_id3_tag_and_id3v1(write) -> None:
    from mutagen.id3 import APIC, ID3, TIT2

    path = write(audio("mp3"), "tagged.mp3")
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Song"))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=image("png", 400, 400)))
    tags.save(path, v1=2)  # ID3v2 with a >64 KiB picture, plus an ID3v1 tag at the end
    data = path.read_bytes()
    assert data.startswith(b"ID3") and data[-128:].startswith(b"TAG")
    assert len(data) - len(audio("mp3")) > 64 * 1024
    info = probe_media(path, "audio")
    assert isinstance(info, AudioInfo) and info.format == "mp3"
    assert info.duration == pytest.approx(3.0, abs=0.05)


# -- bad input -------------------------------------------------------------------------


def test_empty_is_400(write) -> None:
    assert "empty" in reject(write(b""), status=400)
    assert "empty" in reject(write(b""), "cover", status=400)


def test_png_renamed_mp3(write) -> None:
    message = reject(write(image("png"), "song.mp3"))
    assert message.startswith("not an audio file")
    assert "PNG image" in message


def test_message_names_the_declared_file(write) -> None:
    with pytest.raises(
        UnsupportedMedia, match=r"not an audio file \(uploaded as 'track01\.mp3'\)"
    ) as info:
        probe_media(write(image("jpeg")), "audio", filename="track01.mp3")
    assert info.value.message == (
        "not an audio file (uploaded as 'track01.mp3'): the bytes look like a JPEG image"
    )


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes(seed: int, write) -> None:
    data = random.Random(seed).randbytes(20_000)
    assert "not an audio file" in reject(write(data))
    assert "not an image" in reject(write(data), "cover")


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 500, "a PDF document"),
        (b"PK\x03\x04" + b"\x00" * 500, "a ZIP archive"),
        (b"just some lyrics\nla la la\n" * 20, "a text file"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "an HTML page"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "a Linux executable"),
        (b"GIF89a" + b"\x00" * 100, "a GIF image"),
    ],
)
def test_non_audio_is_named(data: bytes, label: str, write) -> None:
    assert reject(write(data)).endswith(f"the bytes look like {label}")


def test_unsupported_audio_formats_are_named(write) -> None:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, fx.song(0.5), 44100, format="AIFF", subtype="PCM_16")
    message = reject(write(buffer.getvalue()))
    assert message.startswith("unsupported audio format") and "AIFF" in message
    assert "MIDI" in reject(write(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0" * 3))
    buffer = io.BytesIO()
    soundfile.write(buffer, fx.song(0.5), 8000, format="WAV", subtype="ULAW")
    assert reject(write(buffer.getvalue())) == (
        "unsupported WAV encoding: µ-law; upload PCM or floating-point WAV, or FLAC"
    )


def test_mp4_video_is_not_audio(write) -> None:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 40, np.uint8), "rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    assert reject(write(buffer.getvalue(), "clip.m4a")).endswith("look like an MP4 video")


# -- truncation ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
@pytest.mark.parametrize("keep", [0.5, 0.9, -1], ids=["half", "90%", "one-byte-short"])
def test_truncated_audio(fmt: str, keep: float, write) -> None:
    data = audio(fmt)
    cut = data[:-1] if keep == -1 else data[: int(len(data) * keep)]
    message = reject(write(cut))
    assert message.startswith("corrupt"), message
    assert "truncated" in message, message


def test_wav_data_chunk_shorter_than_declared(write) -> None:
    data = audio("wav")
    message = reject(write(data[:100_044]))
    assert message == (
        "corrupt WAV: truncated: the data chunk declares 529200 bytes but only 100000 are present"
    )


def test_wav_header_only(write) -> None:
    assert "corrupt WAV" in reject(write(audio("wav")[:30]))
    assert "corrupt WAV" in reject(write(audio("wav")[:44]))  # data chunk with no samples


def mp3_frame_offsets(data: bytes) -> list[int]:
    pos = data.index(b"\xff\xfb")
    offsets = []
    while (header := parse_mpeg_header(data, pos)) is not None:
        offsets.append(pos)
        pos += header.length
    return offsets


def test_mp3_cut_at_frame_boundary_caught_by_info_header(write) -> None:
    data = audio("mp3")
    offsets = mp3_frame_offsets(data)
    cut = data[: offsets[len(offsets) // 2]]
    message = reject(write(cut))
    assert message.startswith("corrupt MP3: truncated:") and "of the" in message


def test_mp3_with_no_frames(write) -> None:
    id3_only = b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 16
    assert reject(write(id3_only)) == "corrupt MP3: no audio frames found"
    broken = id3_only + bytes(random.Random(3).randbytes(5000))
    assert reject(write(broken)) == "corrupt MP3: no audio frames found"


def test_mp3_with_trailing_junk(write) -> None:
    junk = random.Random(5).randbytes(len(audio("mp3")) * 2)
    assert reject(write(audio("mp3") + junk)) == "corrupt MP3: most of the file is not MP3 audio"
    info = probe_media(write(audio("mp3") + junk[:500]), "audio")  # a little is tolerated
    assert isinstance(info, AudioInfo) and info.format == "mp3"


def test_flac_cut_at_frame_boundary(write) -> None:
    data = audio("flac")
    path = write(data)
    # Frame boundaries: sync codes whose header (with its CRC-8) parses.
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        info = mutagen.flac.FLAC(path).info
        assert info.total_samples == 132300
        frames = [
            i
            for i in range(len(data) - 16)
            if data[i] == 0xFF and _flac_frame_header(mm, i) is not None
        ]
    cut = data[: frames[len(frames) // 2]]
    message = reject(write(cut, "cut.flac"))
    assert message.startswith("corrupt FLAC: truncated:") and "samples are present" in message


def test_flac_with_id3v1_tag_accepted(write) -> None:
    tag = b"TAG" + b"Song".ljust(30, b"\x00") + b"\x00" * 95
    info = probe_media(write(audio("flac") + tag), "audio")
    assert isinstance(info, AudioInfo) and info.format == "flac"


@pytest.mark.parametrize("fmt", ["ogg", "opus"])
def test_ogg_with_trailing_tag_accepted(fmt: str, write) -> None:
    tag = b"TAG" + b"Song".ljust(30, b"\x00") + b"\x00" * 95
    info = probe_media(write(audio(fmt) + tag), "audio")
    assert isinstance(info, AudioInfo) and info.format == fmt


def ogg_page_offsets(data: bytes) -> list[int]:
    offsets, pos = [], 0
    while pos < len(data):
        offsets.append(pos)
        segments = data[pos + 26]
        pos += 27 + segments + sum(data[pos + 27 : pos + 27 + segments])
    return offsets


@pytest.mark.parametrize("fmt", ["ogg", "opus"])
def test_ogg_cut_at_page_boundary(fmt: str, write) -> None:
    data = audio(fmt)
    offsets = ogg_page_offsets(data)
    assert len(offsets) > 4
    message = reject(write(data[: offsets[-2]]))
    assert message.endswith("truncated: the stream has no end-of-stream page")


def test_m4a_without_moov(write) -> None:
    data = audio("m4a")
    # Keep ftyp and mdat, drop moov: like a recording that was never finalised.
    pos, kept = 0, b""
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind != b"moov":
            kept += data[pos : pos + size]
        pos += size
    assert reject(write(kept)) == "corrupt M4A: no 'moov' box (the file is incomplete)"


def test_probe_audio_sniffs_by_itself(write) -> None:
    assert probe_audio(write(audio("flac"))).format == "flac"
    with pytest.raises(UnsupportedMedia, match="PNG"):
        probe_audio(write(image("png")))


# -- covers ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_cover_properties(fmt: str, write) -> None:
    info = probe_media(write(fx.image_bytes(fmt, 300, 200)), "cover")
    assert isinstance(info, ImageInfo)
    assert (info.format, info.width, info.height) == (fmt, 300, 200)
    assert info.media_type == {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}[fmt]


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_truncated_cover(fmt: str, write) -> None:
    data = image(fmt)
    assert reject(write(data[: len(data) // 2]), "cover").startswith("corrupt")


def test_cover_too_large(write) -> None:
    path = write(fx.image_bytes("png", 600, 300))
    with pytest.raises(UnsupportedMedia, match="the image is 600×300 pixels") as info:
        probe_media(path, "cover", max_width=500, max_height=500)
    assert info.value.message == "the image is 600×300 pixels; the largest allowed is 500×500"


def test_cover_rejections_name_the_bytes(write) -> None:
    assert reject(write(audio("mp3")), "cover").endswith("look like an MP3 audio file")
    message = reject(write(fx.image_bytes("gif", 32, 32)), "cover")
    assert message == (
        "unsupported image format: the bytes look like a GIF image; use PNG, JPEG or WebP"
    )


def test_png_with_bad_checksum(write) -> None:
    data = bytearray(image("png"))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF
    assert reject(write(bytes(data)), "cover").startswith("corrupt PNG")


# -- sniffing --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_sniff_audio(fmt: str) -> None:
    sniffed = sniff(audio(fmt)[:65536])
    assert (sniffed.name, sniffed.supported, sniffed.kind) == (fmt, True, "audio")


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_sniff_images(fmt: str) -> None:
    sniffed = sniff(image(fmt))
    assert (sniffed.name, sniffed.supported, sniffed.kind) == (fmt, True, "image")

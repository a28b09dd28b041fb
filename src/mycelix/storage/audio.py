"""Validate an audio file and read its properties: structure checks of our own (which catch
truncation) plus mutagen for duration, bitrate, sample rate and channels.

Every check works on a memory map of the file, so even a long file is never read into the
Python heap. Each rejection is an `UnsupportedMedia` (415) whose message names the format
and says what is wrong ("corrupt MP3: no audio frames found").

Truncation detection per format:
- WAV: the data chunk declares more bytes than the file holds.
- MP3: the last frame is cut short, or the Xing/Info/VBRI header counts more frames than
  there are (a file cut exactly at a frame boundary without such a header cannot be told
  from a shorter song).
- FLAC: the last frame fails its CRC-16 (cut mid-frame) or ends before STREAMINFO's sample
  count (cut at a frame boundary).
- Ogg Vorbis/Opus: the last page is cut short or is not marked end-of-stream.
- M4A: a top-level box (usually `mdat`) declares more bytes than remain, or `moov` is
  missing.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mutagen
import mutagen.flac
import mutagen.mp3
import mutagen.mp4
import mutagen.oggopus
import mutagen.oggvorbis
import mutagen.wave

from .errors import EmptyUpload, UnsupportedMedia
from .formats import AUDIO_FORMATS, AudioInfo
from .sniff import id3v2_end, parse_mpeg_header, sniff_file

LABELS = {
    "mp3": "MP3",
    "flac": "FLAC",
    "wav": "WAV",
    "ogg": "Ogg Vorbis",
    "opus": "Ogg Opus",
    "m4a": "M4A",
}


def corrupt(fmt: str, reason: str) -> UnsupportedMedia:
    return UnsupportedMedia(f"corrupt {LABELS.get(fmt, fmt)}: {reason}")


@contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    with open(path, "rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield mapped
        finally:
            mapped.close()


def probe_audio(path: str | Path, fmt: str | None = None) -> AudioInfo:
    """Check that `path` is a complete, supported audio file and describe it.

    `fmt` is the sniffed format (a key of AUDIO_FORMATS); sniffed here if not given. Raises
    `EmptyUpload` (400) or `UnsupportedMedia` (415).
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmptyUpload("the file is empty (0 bytes)")
    if fmt is None:
        sniffed = sniff_file(path)
        if not (sniffed.supported and sniffed.name in AUDIO_FORMATS):
            raise UnsupportedMedia(
                f"not a supported audio file: the bytes look like {sniffed.label}"
            )
        fmt = sniffed.name
    probe = _PROBES[fmt]
    try:
        info = probe(path)
    except UnsupportedMedia:
        raise
    except Exception as exc:  # mutagen and struct raise many types on malformed input
        raise corrupt(fmt, f"cannot be parsed ({_describe(exc)})") from exc
    if not info.duration > 0:
        raise corrupt(fmt, "it contains no audio samples")
    return info


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _mutagen(cls: Any, path: Path, fmt: str) -> Any:
    try:
        return cls(path)
    except mutagen.MutagenError as exc:
        raise corrupt(fmt, f"cannot be parsed ({_describe(exc)})") from exc


# --------------------------------------------------------------------------------- WAV

_WAV_PCM, _WAV_FLOAT, _WAV_EXTENSIBLE = 1, 3, 0xFFFE
_WAV_ENCODINGS = {
    2: "Microsoft ADPCM",
    6: "A-law",
    7: "µ-law",
    0x11: "IMA ADPCM",
    0x31: "GSM 6.10",
    0x50: "MPEG",
    0x55: "MP3",
}


def _probe_wav(path: Path) -> AudioInfo:
    size = path.stat().st_size
    with _mapped(path) as data:
        if size < 12:
            raise corrupt("wav", "the file ends inside its header")
        pos = 12
        fmt_chunk: tuple[int, int, int, int, int] | None = None
        data_size: int | None = None
        while pos + 8 <= size:
            chunk_id = bytes(data[pos : pos + 4])
            (chunk_size,) = struct.unpack_from("<I", data, pos + 4)
            body = pos + 8
            if chunk_id == b"fmt ":
                if chunk_size < 16 or body + chunk_size > size:
                    raise corrupt("wav", "the format chunk is incomplete")
                tag, channels, rate, _byte_rate, align, bits = struct.unpack_from(
                    "<HHIIHH", data, body
                )
                if tag == _WAV_EXTENSIBLE and chunk_size >= 40:
                    (tag,) = struct.unpack_from("<H", data, body + 24)
                fmt_chunk = (tag, channels, rate, align, bits)
            elif chunk_id == b"data":
                if fmt_chunk is None:
                    raise corrupt("wav", "the data chunk comes before the format chunk")
                if chunk_size == 0xFFFFFFFF:
                    raise corrupt("wav", "the data chunk has no length (an unfinished recording?)")
                available = size - body
                if chunk_size > available:
                    raise corrupt(
                        "wav",
                        f"truncated: the data chunk declares {chunk_size} bytes "
                        f"but only {available} are present",
                    )
                data_size = chunk_size
                break
            pos = body + chunk_size + (chunk_size & 1)
    if fmt_chunk is None:
        raise corrupt("wav", "no format chunk found")
    if data_size is None:
        raise corrupt("wav", "truncated: no data chunk found")
    tag, channels, rate, align, bits = fmt_chunk
    if tag not in (_WAV_PCM, _WAV_FLOAT):
        name = _WAV_ENCODINGS.get(tag, f"format code {tag:#06x}")
        raise UnsupportedMedia(
            f"unsupported WAV encoding: {name}; upload PCM or floating-point WAV, or FLAC"
        )
    if channels == 0 or rate == 0 or bits == 0 or align == 0:
        raise corrupt("wav", "the format chunk has zero channels, rate or sample size")
    if data_size < align:
        raise corrupt("wav", "it contains no audio samples")
    wave = _mutagen(mutagen.wave.WAVE, path, "wav").info
    codec = f"pcm_{'f' if tag == _WAV_FLOAT else ('u' if bits == 8 else 's')}{bits}le"
    return AudioInfo(
        format="wav",
        media_type=AUDIO_FORMATS["wav"].media_type,
        codec=codec,
        duration=(data_size // align) / rate,
        bitrate=int(wave.bitrate) or rate * channels * bits,
        sample_rate=rate,
        channels=channels,
        bits_per_sample=bits,
    )


# --------------------------------------------------------------------------------- MP3

_TRAILING_TAGS = (b"TAG", b"APETAGEX", b"LYRICS", b"ID3")
_MAX_LEADING_JUNK = 64 * 1024


def _id3_end(data: mmap.mmap) -> int:
    return min(id3v2_end(data), len(data))


def _mpeg_chain(data: mmap.mmap, pos: int, frames: int = 3) -> bool:
    """A valid frame at `pos` followed by `frames - 1` more of the same stream. Strict: a
    lone header near the end of the file (likely noise) does not count."""
    first = parse_mpeg_header(data, pos)
    if first is None or first.layer != 1:
        return False
    at = pos
    header = first
    for _ in range(frames - 1):
        at += header.length
        nxt = parse_mpeg_header(data, at)
        if nxt is None or not nxt.same_stream(first):
            return False
        header = nxt
    return True


def _vbr_frame_count(data: mmap.mmap, pos: int) -> int | None:
    """Frames counted by a Xing/Info or VBRI header in the frame at `pos` (that frame itself
    excluded), or None."""
    header = parse_mpeg_header(data, pos)
    if header is None:
        return None
    if header.version == 3:
        side = 17 if header.channels == 1 else 32
    else:
        side = 9 if header.channels == 1 else 17
    xing = pos + 4 + side
    tag = data[xing : xing + 4]
    if tag in (b"Xing", b"Info") and xing + 12 <= len(data):
        (flags,) = struct.unpack_from(">I", data, xing + 4)
        if flags & 1:
            return int(struct.unpack_from(">I", data, xing + 8)[0])
        return None
    vbri = pos + 4 + 32
    if data[vbri : vbri + 4] == b"VBRI" and vbri + 18 <= len(data):
        return int(struct.unpack_from(">I", data, vbri + 14)[0])
    return None


def _probe_mp3(path: Path) -> AudioInfo:
    with _mapped(path) as data:
        size = len(data)
        start = _id3_end(data)
        while start < size and data[start] == 0:
            start += 1
        first = None
        limit = min(size, start + _MAX_LEADING_JUNK)
        pos = start
        while pos < limit:
            pos = data.find(b"\xff", pos, limit)
            if pos < 0:
                break
            if _mpeg_chain(data, pos):
                first = pos
                break
            pos += 1
        if first is None:
            raise corrupt("mp3", "no audio frames found")
        declared = _vbr_frame_count(data, first)
        frames, covered, pos = 0, 0, first
        head = parse_mpeg_header(data, first)
        assert head is not None
        truncated = False
        while pos + 4 <= size:
            header = parse_mpeg_header(data, pos)
            if header is None or not header.same_stream(head):
                if any(data[pos : pos + len(t)] == t for t in _TRAILING_TAGS):
                    break
                resync = _resync(data, pos + 1, size)
                if resync is None:
                    break
                pos = resync
                continue
            if pos + header.length > size:
                truncated = True
                break
            frames += 1
            covered += header.length
            pos += header.length
        if pos < size and size - pos < 4 and data[pos] == 0xFF:
            truncated = True  # the first bytes of one more frame header
    if declared is not None:
        frames -= 1  # the Xing/Info/VBRI frame carries no audio
    if frames <= 0:
        raise corrupt("mp3", "no audio frames found")
    if truncated:
        raise corrupt(
            "mp3", f"truncated: the last audio frame is incomplete (after {frames} frames)"
        )
    if declared is not None and frames < declared - 1:  # encoders disagree by one
        raise corrupt("mp3", f"truncated: {frames} of the {declared} audio frames are present")
    if covered < 0.5 * (size - first):
        raise corrupt("mp3", "most of the file is not MP3 audio")
    mp3 = _mutagen(mutagen.mp3.MP3, path, "mp3").info
    duration = (
        float(mp3.length) if declared is not None else frames * head.samples / head.sample_rate
    )
    bitrate = int(mp3.bitrate) if declared is not None else int(covered * 8 / duration)
    return AudioInfo(
        format="mp3",
        media_type=AUDIO_FORMATS["mp3"].media_type,
        codec="mp3",
        duration=duration,
        bitrate=bitrate,
        sample_rate=int(mp3.sample_rate),
        channels=int(mp3.channels),
    )


def _resync(data: mmap.mmap, pos: int, size: int) -> int | None:
    """The next offset where a chain of valid frames starts, or None."""
    while pos < size:
        pos = data.find(b"\xff", pos)
        if pos < 0:
            return None
        if _mpeg_chain(data, pos):
            return pos
        pos += 1
    return None


# -------------------------------------------------------------------------------- FLAC


def _crc8(data: bytes | memoryview) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes | memoryview) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _make_crc8() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


def _make_crc16() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC8 = _make_crc8()
_CRC16 = _make_crc16()

_FLAC_BLOCK_SIZES = {1: 192, 2: 576, 3: 1152, 4: 2304, 5: 4608}


def _flac_frame_header(data: mmap.mmap, pos: int) -> tuple[int, int, int] | None:
    """(blocking strategy, coded number, block size) of a FLAC frame header at `pos` whose
    CRC-8 checks, else None."""
    if pos + 6 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xFE != 0xF8:
        return None
    strategy = data[pos + 1] & 1
    bs_code, sr_code = data[pos + 2] >> 4, data[pos + 2] & 0x0F
    if bs_code == 0 or sr_code == 15 or data[pos + 3] >> 4 > 10 or data[pos + 3] & 1:
        return None
    at = pos + 4
    lead = data[at]
    if lead < 0x80:
        extra, number = 0, lead
    elif lead & 0xE0 == 0xC0:
        extra, number = 1, lead & 0x1F
    elif lead & 0xF0 == 0xE0:
        extra, number = 2, lead & 0x0F
    elif lead & 0xF8 == 0xF0:
        extra, number = 3, lead & 0x07
    elif lead & 0xFC == 0xF8:
        extra, number = 4, lead & 0x03
    elif lead & 0xFE == 0xFC:
        extra, number = 5, lead & 0x01
    elif lead == 0xFE:
        extra, number = 6, 0
    else:
        return None
    at += 1
    if at + extra + 3 > len(data):
        return None
    for _ in range(extra):
        if data[at] & 0xC0 != 0x80:
            return None
        number = (number << 6) | (data[at] & 0x3F)
        at += 1
    if bs_code == 6:
        block = data[at] + 1
        at += 1
    elif bs_code == 7:
        block = ((data[at] << 8) | data[at + 1]) + 1
        at += 2
    elif bs_code in _FLAC_BLOCK_SIZES:
        block = _FLAC_BLOCK_SIZES[bs_code]
    else:
        block = 256 << (bs_code - 8)
    if sr_code == 12:
        at += 1
    elif sr_code in (13, 14):
        at += 2
    if at >= len(data) or _crc8(data[pos:at]) != data[at]:
        return None
    return strategy, number, block


def _flac_audio_start(data: mmap.mmap, start: int) -> int:
    pos = start + 4
    while True:
        if pos + 4 > len(data):
            raise corrupt("flac", "truncated: the file ends inside its metadata")
        last = data[pos] & 0x80
        (length,) = struct.unpack(">I", b"\x00" + data[pos + 1 : pos + 4])
        pos += 4 + length
        if last:
            break
    if pos > len(data):
        raise corrupt("flac", "truncated: the file ends inside its metadata")
    return pos


def _probe_flac(path: Path) -> AudioInfo:
    flac = _mutagen(mutagen.flac.FLAC, path, "flac").info
    total = int(flac.total_samples)
    if total == 0:
        raise corrupt("flac", "the stream does not declare its length (unfinished?)")
    with _mapped(path) as data:
        start = data.find(b"fLaC", 0, 1 << 20)
        if start < 0:
            raise corrupt("flac", "no stream header found")
        audio = _flac_audio_start(data, start)
        if _flac_frame_header(data, audio) is None:
            raise corrupt("flac", "no audio frames found")
        end = len(data)
        if end - audio >= 128 and data[end - 128 : end - 125] == b"TAG":
            end -= 128  # an ID3v1 tag some tools append
        last = _last_flac_frame(data, audio, end, int(flac.max_framesize or 0))
        if last is None:
            raise corrupt("flac", "truncated: the last audio frame is incomplete")
        strategy, number, block = last
        first_sample = number if strategy else number * int(flac.max_blocksize)
        present = first_sample + block
        if present < total:
            raise corrupt("flac", f"truncated: {present} of {total} samples are present")
    audio_bytes = max(0, path.stat().st_size - audio)
    duration = total / flac.sample_rate
    return AudioInfo(
        format="flac",
        media_type=AUDIO_FORMATS["flac"].media_type,
        codec="flac",
        duration=duration,
        bitrate=int(audio_bytes * 8 / duration),
        sample_rate=int(flac.sample_rate),
        channels=int(flac.channels),
        bits_per_sample=int(flac.bits_per_sample),
    )


_MAX_CRC_CHECKS = 8


def _last_flac_frame(
    data: mmap.mmap, audio: int, end: int, max_frame: int
) -> tuple[int, int, int] | None:
    """The header of the frame that ends exactly at `end` with a matching CRC-16, looked for
    among the last few candidate headers (bounded work, whatever the file holds)."""
    window = max(2 * max_frame, 64 * 1024) if max_frame else 1024 * 1024
    low = max(audio, end - window)
    pos, checks = end, 0
    while checks < _MAX_CRC_CHECKS:
        pos = data.rfind(b"\xff", low, pos)
        if pos < 0:
            return None
        header = _flac_frame_header(data, pos)
        if header is not None:
            checks += 1
            if _crc16(data[pos : end - 2]) == (data[end - 2] << 8 | data[end - 1]):
                return header
            # Either the last frame is cut short or this was a false sync inside it: an
            # earlier candidate can still prove the file complete.
        if pos == low:
            return None
    return None


# --------------------------------------------------------------------------------- Ogg


def _check_ogg_pages(path: Path, fmt: str) -> None:
    with _mapped(path) as data:
        size, pos, flags = len(data), 0, 0
        while pos < size:
            if data[pos : pos + 4] != b"OggS":
                if flags & 0x04:
                    break  # trailing bytes after the end of the stream (e.g. an ID3v1 tag)
                if pos == 0:
                    raise corrupt(fmt, "no Ogg page at the start")
                raise corrupt(fmt, f"damaged: no Ogg page at byte {pos}")
            if pos + 27 > size or pos + 27 + data[pos + 26] > size:
                raise corrupt(fmt, "truncated: the last page is incomplete")
            segments = data[pos + 26]
            body = sum(data[pos + 27 : pos + 27 + segments])
            flags = data[pos + 5]
            pos += 27 + segments + body
        if pos > size:
            raise corrupt(fmt, "truncated: the last page is incomplete")
        if not flags & 0x04:
            raise corrupt(fmt, "truncated: the stream has no end-of-stream page")


def _probe_ogg(path: Path) -> AudioInfo:
    _check_ogg_pages(path, "ogg")
    info = _mutagen(mutagen.oggvorbis.OggVorbis, path, "ogg").info
    duration = float(info.length)
    return AudioInfo(
        format="ogg",
        media_type=AUDIO_FORMATS["ogg"].media_type,
        codec="vorbis",
        duration=duration,
        bitrate=_average_bitrate(path, duration) or int(info.bitrate),
        sample_rate=int(info.sample_rate),
        channels=int(info.channels),
    )


def _probe_opus(path: Path) -> AudioInfo:
    _check_ogg_pages(path, "opus")
    info = _mutagen(mutagen.oggopus.OggOpus, path, "opus").info
    duration = float(info.length)
    return AudioInfo(
        format="opus",
        media_type=AUDIO_FORMATS["opus"].media_type,
        codec="opus",
        duration=duration,
        bitrate=_average_bitrate(path, duration),
        sample_rate=48000,
        channels=int(info.channels),
    )


def _average_bitrate(path: Path, duration: float) -> int:
    return int(path.stat().st_size * 8 / duration) if duration > 0 else 0


# --------------------------------------------------------------------------------- M4A


def _boxes(data: mmap.mmap, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, body start, box end) of the boxes in `start..end`; raises
    ValueError for a box that does not fit."""
    pos = start
    while pos + 8 <= end:
        (size,) = struct.unpack_from(">I", data, pos)
        kind = bytes(data[pos + 4 : pos + 8])
        body = pos + 8
        if size == 1:
            if pos + 16 > end:
                raise ValueError(kind)
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos:
            raise ValueError(kind)
        if pos + size > end:
            raise OverflowError(kind, size, end - pos)
        yield kind, pos, body, pos + size
        pos += size


def _handler_types(data: mmap.mmap, moov: tuple[int, int]) -> list[bytes]:
    handlers = []
    for kind, _, body, box_end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        for kind2, _, body2, end2 in _boxes(data, body, box_end):
            if kind2 != b"mdia":
                continue
            for kind3, _, body3, _end3 in _boxes(data, body2, end2):
                if kind3 == b"hdlr":
                    handlers.append(bytes(data[body3 + 8 : body3 + 12]))
    return handlers


def _probe_m4a(path: Path) -> AudioInfo:
    with _mapped(path) as data:
        moov = None
        try:
            for kind, _, body, end in _boxes(data, 0, len(data)):
                if kind == b"moov":
                    moov = (body, end)
        except OverflowError as exc:
            name, declared, remaining = exc.args
            raise corrupt(
                "m4a",
                f"truncated: the {name.decode('latin-1')!r} box declares {declared} bytes "
                f"but only {remaining} remain",
            ) from None
        except ValueError as exc:
            raise corrupt("m4a", "damaged box structure") from exc
        if moov is None:
            raise corrupt("m4a", "no 'moov' box (the file is incomplete)")
        try:
            handlers = _handler_types(data, moov)
        except (ValueError, OverflowError) as exc:
            raise corrupt("m4a", "damaged track structure") from exc
    if b"vide" in handlers:
        raise UnsupportedMedia("not an audio file: the bytes look like an MP4 video")
    if b"soun" not in handlers:
        raise corrupt("m4a", "it has no audio track")
    info = _mutagen(mutagen.mp4.MP4, path, "m4a").info
    codec = str(info.codec)
    if not codec.startswith("mp4a"):
        raise UnsupportedMedia(
            f"unsupported M4A codec {codec!r}: browsers play AAC; upload AAC, MP3 or FLAC"
        )
    duration = float(info.length)
    return AudioInfo(
        format="m4a",
        media_type=AUDIO_FORMATS["m4a"].media_type,
        codec="aac",
        duration=duration,
        bitrate=int(info.bitrate) or _average_bitrate(path, duration),
        sample_rate=int(info.sample_rate),
        channels=int(info.channels),
    )


_PROBES = {
    "wav": _probe_wav,
    "mp3": _probe_mp3,
    "flac": _probe_flac,
    "ogg": _probe_ogg,
    "opus": _probe_opus,
    "m4a": _probe_m4a,
}

"""Recognise a file's format from its first bytes (never from its name or declared type).

`sniff` names accepted formats (MP3, FLAC, WAV, Ogg Vorbis/Opus, M4A; PNG, JPEG, WebP) and,
so that a rejection can say what the bytes really are, a few dozen common others ("a PNG
image", "a PDF document", "an MP4 video", "a text file"...).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from .formats import AUDIO_FORMATS, IMAGE_FORMATS

HEAD_SIZE = 64 * 1024


@dataclass(frozen=True)
class Sniffed:
    """A format recognised from the bytes.

    `name` is a key of AUDIO_FORMATS/IMAGE_FORMATS when `supported`, else a short id of
    something else ("gif", "pdf", "aiff", "unknown"). `label` reads well after "looks like".
    `offset` is where the format's own data starts (after ID3v2 tags for MP3/FLAC).
    """

    name: str
    kind: str  # "audio", "image", "video", "other", "unknown"
    label: str
    supported: bool = False
    offset: int = 0


UNKNOWN = Sniffed("unknown", "unknown", "no known format")


def _other(name: str, kind: str, label: str) -> Sniffed:
    return Sniffed(name, kind, label)


def _audio(name: str, offset: int = 0) -> Sniffed:
    return Sniffed(name, "audio", AUDIO_FORMATS[name].label, True, offset)


def _image(name: str) -> Sniffed:
    return Sniffed(name, "image", IMAGE_FORMATS[name].label, True)


# Prefix signatures of formats that are not accepted, for clear messages.
_PREFIXES: tuple[tuple[bytes, Sniffed], ...] = (
    (b"GIF87a", _other("gif", "image", "a GIF image")),
    (b"GIF89a", _other("gif", "image", "a GIF image")),
    (b"II*\x00", _other("tiff", "image", "a TIFF image")),
    (b"MM\x00*", _other("tiff", "image", "a TIFF image")),
    (b"\x00\x00\x01\x00", _other("ico", "image", "an ICO icon")),
    (b"8BPS", _other("psd", "image", "a Photoshop document")),
    (b"\xff\x0a", _other("jxl", "image", "a JPEG XL image")),
    (b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a", _other("jxl", "image", "a JPEG XL image")),
    (b"%PDF-", _other("pdf", "other", "a PDF document")),
    (b"PK\x03\x04", _other("zip", "other", "a ZIP archive")),
    (b"PK\x05\x06", _other("zip", "other", "a ZIP archive")),
    (b"\x1f\x8b", _other("gzip", "other", "a gzip archive")),
    (b"BZh", _other("bzip2", "other", "a bzip2 archive")),
    (b"\xfd7zXZ\x00", _other("xz", "other", "an xz archive")),
    (b"(\xb5/\xfd", _other("zstd", "other", "a Zstandard archive")),
    (b"7z\xbc\xaf\x27\x1c", _other("7z", "other", "a 7-Zip archive")),
    (b"Rar!\x1a\x07", _other("rar", "other", "a RAR archive")),
    (b"\x7fELF", _other("elf", "other", "a Linux executable")),
    (b"MZ", _other("exe", "other", "a Windows executable")),
    (b"\xca\xfe\xba\xbe", _other("macho", "other", "a macOS executable")),
    (b"\xcf\xfa\xed\xfe", _other("macho", "other", "a macOS executable")),
    (b"SQLite format 3\x00", _other("sqlite", "other", "an SQLite database")),
    (b"\x1aE\xdf\xa3", _other("matroska", "video", "a Matroska/WebM file")),
    (b"MThd", _other("midi", "audio", "a MIDI file (notes, not recorded audio)")),
    (b"#!AMR", _other("amr", "audio", "AMR speech audio")),
    (b"MAC ", _other("ape", "audio", "a Monkey's Audio file")),
    (b"wvpk", _other("wavpack", "audio", "a WavPack file")),
    (b".snd", _other("au", "audio", "Sun AU audio")),
    (b"FWS", _other("swf", "other", "a Flash file")),
    (b"CWS", _other("swf", "other", "a Flash file")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", _other("ole", "other", "a Microsoft Office document")),
)

_FTYP_IMAGE_BRANDS = {
    b"avif": "an AVIF image",
    b"avis": "an AVIF image",
    b"heic": "a HEIC image",
    b"heix": "a HEIC image",
    b"mif1": "a HEIF image",
    b"msf1": "a HEIF image",
}


def id3v2_end(head: bytes | mmap.mmap) -> int:
    """Offset just past any ID3v2 tags at the start (0 if there are none)."""
    offset = 0
    while head[offset : offset + 3] == b"ID3" and len(head) >= offset + 10:
        size_bytes = head[offset + 6 : offset + 10]
        if any(b & 0x80 for b in size_bytes):
            break
        size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
        footer = 10 if head[offset + 5] & 0x10 else 0
        offset += 10 + size + footer
        if offset > len(head):
            break  # tags continue past what we read: the caller re-reads from there
    return offset


def sniff_file(path: str | Path) -> Sniffed:
    """Sniff a file: reads its first 64 KiB, plus 64 KiB after any (large) ID3v2 tag."""
    with open(path, "rb") as file:
        head = file.read(HEAD_SIZE)
        skip = id3v2_end(head)
        if skip:
            file.seek(skip)
            after = file.read(HEAD_SIZE)
            return _sniff_after_id3(after, skip)
    return sniff(head)


def sniff(head: bytes) -> Sniffed:
    """Sniff the first bytes of a file (64 KiB is plenty; ID3v2-tagged MP3s may need the
    bytes after the tag, which `sniff_file` reads)."""
    if not head:
        return Sniffed("empty", "unknown", "an empty file")
    skip = id3v2_end(head)
    if skip:
        return _sniff_after_id3(head[skip:], skip)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image("png")
    if head.startswith(b"\xff\xd8\xff"):
        return _image("jpeg")
    if head.startswith(b"fLaC"):
        return _audio("flac")
    if head.startswith(b"RIFF") or head.startswith(b"RIFX") or head.startswith(b"RF64"):
        return _sniff_riff(head)
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return _other("aiff", "audio", "AIFF audio")
    if head.startswith(b"OggS"):
        return _sniff_ogg(head)
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return _other("quicktime", "video", "a QuickTime/MP4 file without a file-type header")
    for prefix, sniffed in _PREFIXES:
        if head.startswith(prefix):
            return sniffed
    mpeg = _sniff_mpeg(head, 0)
    if mpeg is not None:
        return mpeg
    return _sniff_text(head)


def _sniff_after_id3(rest: bytes, offset: int) -> Sniffed:
    """After ID3v2 tags: FLAC (tagged by a careless tool) or MP3 — possibly with no frames
    at all, which probing reports as a corrupt MP3."""
    if rest.startswith(b"fLaC"):
        return _audio("flac", offset)
    mpeg = _sniff_mpeg(rest.lstrip(b"\x00"), offset)
    if mpeg is not None and not mpeg.supported:
        return mpeg
    return _audio("mp3", offset)


def _sniff_riff(head: bytes) -> Sniffed:
    form = head[8:12]
    if head.startswith(b"RIFF") and form == b"WAVE":
        return _audio("wav")
    if form == b"WEBP":
        return _image("webp")
    if form == b"WAVE":
        return _other("wav64", "audio", "a big-endian or RF64 WAV file")
    if form == b"AVI ":
        return _other("avi", "video", "an AVI video")
    return _other("riff", "other", "a RIFF file")


def _sniff_ogg(head: bytes) -> Sniffed:
    if len(head) < 28:
        return _audio("ogg")  # too short to say: probing reports it as truncated
    body = head[27 + head[26] :]
    if body.startswith(b"\x01vorbis"):
        return _audio("ogg")
    if body.startswith(b"OpusHead"):
        return _audio("opus")
    if body.startswith(b"\x7fFLAC"):
        return _other("oggflac", "audio", "Ogg FLAC audio")
    if body.startswith(b"Speex   "):
        return _other("speex", "audio", "Ogg Speex audio")
    if body.startswith(b"\x80theora"):
        return _other("theora", "video", "an Ogg Theora video")
    return _other("ogg-other", "other", "an Ogg file of an unknown codec")


def _sniff_ftyp(head: bytes) -> Sniffed:
    size = struct.unpack(">I", head[:4])[0]
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(size, len(head)), 4)}
    for brand, label in _FTYP_IMAGE_BRANDS.items():
        if head[8:12] == brand or (brand in brands and head[8:12] in (b"mif1", b"msf1")):
            return _other("heif", "image", label)
    if head[8:12] == b"qt  ":
        return _other("quicktime", "video", "a QuickTime movie")
    # Audio-only or video MP4: probing looks at the tracks and says which.
    return _audio("m4a")


# MPEG-1/2/2.5 audio frame headers.
_BITRATES = {
    (3, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 L3
    (3, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),  # L2
    (3, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),  # L1
    (2, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2 L3
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class MpegHeader:
    version: int  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    layer: int  # 1 = Layer III, 2 = Layer II, 3 = Layer I (the header's bit values)
    bitrate: int  # bits per second
    sample_rate: int
    padding: int
    channels: int
    length: int  # frame length in bytes

    @property
    def samples(self) -> int:
        if self.layer == 3:
            return 384
        if self.layer == 2 or self.version == 3:
            return 1152
        return 576

    def same_stream(self, other: MpegHeader) -> bool:
        return (self.version, self.layer, self.sample_rate) == (
            other.version,
            other.layer,
            other.sample_rate,
        )


def parse_mpeg_header(data: bytes | mmap.mmap, offset: int = 0) -> MpegHeader | None:
    """The MPEG audio frame header at `offset`, or None if the 4 bytes are not a valid one
    (free-format bitrates count as invalid)."""
    if len(data) < offset + 4:
        return None
    b0, b1, b2, b3 = data[offset], data[offset + 1], data[offset + 2], data[offset + 3]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = (b1 >> 3) & 3
    layer = (b1 >> 1) & 3
    if version == 1 or layer == 0:
        return None
    bitrate_index = b2 >> 4
    rate_index = (b2 >> 2) & 3
    if bitrate_index in (0, 15) or rate_index == 3 or (b3 & 3) == 2:
        return None
    table = _BITRATES[(3 if version == 3 else 2, layer)]
    bitrate = table[bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = (b2 >> 1) & 1
    if layer == 3:  # Layer I
        length = (12 * bitrate // sample_rate + padding) * 4
    elif layer == 1 and version != 3:  # Layer III, MPEG-2/2.5
        length = 72 * bitrate // sample_rate + padding
    else:
        length = 144 * bitrate // sample_rate + padding
    channels = 1 if (b3 >> 6) == 3 else 2
    return MpegHeader(version, layer, bitrate, sample_rate, padding, channels, length)


def _sniff_mpeg(head: bytes, offset: int) -> Sniffed | None:
    """MPEG audio if a valid frame header starts the data and the next one follows it (or
    the data ends within the first frame)."""
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return _other("adts", "audio", "a raw AAC (ADTS) stream")
    first = parse_mpeg_header(head)
    if first is None:
        return None
    following = parse_mpeg_header(head, first.length)
    if following is None and len(head) >= first.length + 4:
        return None
    if following is not None and not following.same_stream(first):
        return None
    if first.layer != 1:
        layer = "II" if first.layer == 2 else "I"
        return _other("mp2", "audio", f"MPEG audio Layer {layer}")
    return _audio("mp3", offset)


def _sniff_text(head: bytes) -> Sniffed:
    sample = head[:4096]
    if sample.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return _other("text", "other", "a text file")
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end
            return UNKNOWN
        text = sample[: exc.start].decode("utf-8")
    if not text:
        return UNKNOWN
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if printable / len(text) < 0.95:
        return UNKNOWN
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return _other("html", "other", "an HTML page")
    if lowered.startswith("<svg") or (lowered.startswith("<?xml") and "<svg" in lowered):
        return _other("svg", "image", "an SVG image")
    if lowered.startswith("<?xml"):
        return _other("xml", "other", "an XML document")
    if lowered.startswith(("{", "[")):
        return _other("json", "other", "a JSON document")
    return _other("text", "other", "a text file")

"""The archive format on its own: streamed encryption refuses truncation at a chunk boundary,
reordered chunks and a wrong passphrase; the whole-file digest covers bytes no member
checksum does; member names outside the format are refused."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from pathlib import Path

import pytest

from mycelix.backup import ArchiveCorrupt, WrongPassphrase
from mycelix.backup.archive import ArchiveWriter, read_archive
from mycelix.backup.create import cid_of_digest
from mycelix.backup.encrypt import HEADER_SIZE, TAG_SIZE, DecryptingReader, EncryptingWriter
from mycelix.storage.cid import cid_from_digest

CHUNK = 1024


def sealed(plain: bytes, passphrase: str = "operator passphrase") -> bytes:
    out = io.BytesIO()
    writer = EncryptingWriter(out, passphrase, chunk_size=CHUNK)
    writer.write(plain)
    writer.close()
    return out.getvalue()


def opened(data: bytes, passphrase: str = "operator passphrase") -> bytes:
    return DecryptingReader(io.BytesIO(data), passphrase).read()


def test_round_trip_across_chunk_boundaries() -> None:
    for size in (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK):
        plain = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        assert opened(sealed(plain)) == plain


def test_truncation_at_a_chunk_boundary_is_refused() -> None:
    data = sealed(b"y" * (3 * CHUNK + 10))
    cut = HEADER_SIZE + 2 * (CHUNK + TAG_SIZE)  # drop the last two chunks exactly
    with pytest.raises(ArchiveCorrupt, match="chunk 1 fails authentication"):
        opened(data[:cut])


def test_reordered_chunks_are_refused() -> None:
    data = sealed(b"a" * CHUNK + b"b" * CHUNK + b"c")
    size = CHUNK + TAG_SIZE
    first, second = (
        data[HEADER_SIZE : HEADER_SIZE + size],
        data[HEADER_SIZE + size : HEADER_SIZE + 2 * size],
    )
    swapped = data[:HEADER_SIZE] + second + first + data[HEADER_SIZE + 2 * size :]
    with pytest.raises(ArchiveCorrupt, match="chunk 0 fails authentication"):
        opened(swapped)


def test_a_wrong_passphrase_is_told_apart_from_damage() -> None:
    data = sealed(b"catalogue")
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        opened(data, "not the passphrase")
    damaged = bytearray(data)
    damaged[HEADER_SIZE + 3] ^= 0x80
    with pytest.raises(ArchiveCorrupt, match="fails authentication"):
        opened(bytes(damaged))


def test_our_cid_shortcut_matches_the_store() -> None:
    for content in (b"", b"hello", b"z" * 100_000):
        digest = hashlib.sha256(content).digest()
        assert cid_of_digest(digest) == cid_from_digest(digest)


def write_archive(path: Path, passphrase: str | None = None) -> None:
    with path.open("wb") as file:
        writer = ArchiveWriter(file, {"catalog": "sqlite", "chain": False}, passphrase)
        writer.add_bytes("deployment.json", b"{}")
        writer.close({"catalog": {"rows": {}}})


def test_every_byte_counts(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    write_archive(archive)
    assert read_archive(archive, None).files.keys() == {"backup.json", "deployment.json"}
    data = bytearray(archive.read_bytes())
    # The end-of-archive zero blocks: no tar checksum or member digest covers them.
    offset = len(data) - 200
    assert data.rindex(b"}\n") < offset and data[offset] == 0
    data[offset] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveCorrupt, match="whole-archive SHA-256 does not match"):
        read_archive(archive, None)


def test_members_outside_the_format_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("../../etc/cron.d/evil")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(
        ArchiveCorrupt, match=re.escape("unexpected member '../../etc/cron.d/evil'")
    ):
        read_archive(archive, None, lambda name: pytest.fail(f"{name} reached the sink"))

"""Passphrase encryption of a whole archive, streamed in chunks.

Key: scrypt (n = 2^15, r = 8, p = 1: ~32 MiB and a fraction of a second per derivation, the
work factor `cryptography` recommends for interactive use) over the passphrase and a random
16-byte salt gives 64 bytes: an AES-256-GCM key and a 16-byte passphrase check.

Body: the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015). The plaintext is cut
into 1 MiB chunks, each sealed with AES-GCM under the nonce ``prefix(7) || counter(4) ||
last(1)``, with the whole header as associated data. Every chunk is authenticated on its own,
so a flipped bit anywhere fails its chunk's tag; the counter stops reordering, and the
``last`` flag stops truncation at a chunk boundary (the new last chunk was sealed as "not
last"). Nothing is ever held in memory beyond one chunk.

Header layout (all integers big-endian), 64 bytes::

    magic "MYCXENC1" | kdf 1=scrypt | log2 n | r | p | salt 16 | nonce prefix 7 |
    chunk size 4 | passphrase check 16 | header digest 8

The passphrase check tells a wrong passphrase apart from a damaged body; the header digest (an
unkeyed SHA-256 prefix) tells accidental damage to the header apart from a wrong passphrase.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import ArchiveCorrupt, WrongPassphrase

MAGIC = b"MYCXENC1"
KDF_SCRYPT = 1
SCRYPT_LOG2_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
# Refuse headers asking for more than this (a crafted header could demand gigabytes).
MAX_LOG2_N = 20
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
_FIELDS = struct.Struct(">8sBBBB16s7sI16s")
HEADER_SIZE = _FIELDS.size + 8


def is_encrypted(path: os.PathLike[str] | str) -> bool:
    """Whether the file starts like an encrypted archive."""
    with open(path, "rb") as file:
        return file.read(len(MAGIC)) == MAGIC


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    if not passphrase:
        raise WrongPassphrase("the passphrase is empty")
    kdf = Scrypt(salt=salt, length=48, n=2**log2_n, r=r, p=p)
    material = kdf.derive(passphrase.encode())
    return material[:32], material[32:]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= 2**32:
        raise ValueError("archive too large for one encryption stream (4 PiB)")
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


@dataclass
class _Header:
    log2_n: int
    r: int
    p: int
    salt: bytes
    prefix: bytes
    chunk_size: int
    check: bytes

    def pack(self) -> bytes:
        fields = _FIELDS.pack(
            MAGIC,
            KDF_SCRYPT,
            self.log2_n,
            self.r,
            self.p,
            self.salt,
            self.prefix,
            self.chunk_size,
            self.check,
        )
        return fields + hashlib.sha256(fields).digest()[:8]

    @classmethod
    def unpack(cls, data: bytes, where: str) -> _Header:
        if len(data) < HEADER_SIZE:
            raise ArchiveCorrupt(f"{where}: truncated (shorter than an encryption header)")
        fields, digest = data[: _FIELDS.size], data[_FIELDS.size : HEADER_SIZE]
        magic, kdf, log2_n, r, p, salt, prefix, chunk_size, check = _FIELDS.unpack(fields)
        if magic != MAGIC:
            raise ArchiveCorrupt(f"{where}: not an encrypted Mycelix archive")
        if not hmac.compare_digest(hashlib.sha256(fields).digest()[:8], digest):
            raise ArchiveCorrupt(f"{where}: the encryption header is damaged")
        if kdf != KDF_SCRYPT or not 10 <= log2_n <= MAX_LOG2_N or not (0 < r <= 32 and 0 < p <= 16):
            raise ArchiveCorrupt(f"{where}: unsupported key derivation parameters")
        if not 1024 <= chunk_size <= 64 * CHUNK_SIZE:
            raise ArchiveCorrupt(f"{where}: unsupported chunk size {chunk_size}")
        return cls(log2_n, r, p, salt, prefix, chunk_size, check)


class EncryptingWriter:
    """A write-only binary stream that encrypts into `sink`; `close()` seals the last chunk
    (it does not close `sink`)."""

    def __init__(self, sink: BinaryIO, passphrase: str, *, chunk_size: int = CHUNK_SIZE) -> None:
        salt, prefix = os.urandom(16), os.urandom(7)
        key, check = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
        header = _Header(SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt, prefix, chunk_size, check)
        self._header = header.pack()
        self._aead = AESGCM(key)
        self._prefix = prefix
        self._chunk_size = chunk_size
        self._sink = sink
        self._buffer = bytearray()
        self._counter = 0
        self.closed = False
        sink.write(self._header)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:
            raise ValueError("write to a closed EncryptingWriter")
        self._buffer += data
        # A full chunk is only sealed as "not last" once more data follows it.
        while len(self._buffer) > self._chunk_size:
            self._seal(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = _nonce(self._prefix, self._counter, last)
        self._sink.write(self._aead.encrypt(nonce, chunk, self._header))
        self._counter += 1

    def flush(self) -> None:
        self._sink.flush()

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True


class DecryptingReader:
    """A read-only binary stream of the plaintext of `source`; raises `WrongPassphrase` on
    open and `ArchiveCorrupt` as soon as a chunk fails authentication."""

    def __init__(self, source: BinaryIO, passphrase: str, *, where: str = "archive") -> None:
        self._where = where
        header_bytes = source.read(HEADER_SIZE)
        header = _Header.unpack(header_bytes, where)
        key, check = _derive(passphrase, header.salt, header.log2_n, header.r, header.p)
        if not hmac.compare_digest(check, header.check):
            raise WrongPassphrase(f"wrong passphrase for {where}")
        self._aad = header_bytes
        self._aead = AESGCM(key)
        self._prefix = header.prefix
        self._sealed = header.chunk_size + TAG_SIZE
        self._source = source
        self._counter = 0
        self._pending = source.read(self._sealed)
        self._plain = bytearray()
        self._done = False

    def _next_chunk(self) -> None:
        sealed = self._pending
        self._pending = self._source.read(self._sealed)
        last = not self._pending
        if len(sealed) < TAG_SIZE:
            raise ArchiveCorrupt(f"{self._where}: truncated (a chunk is missing its tag)")
        try:
            plain = self._aead.decrypt(_nonce(self._prefix, self._counter, last), sealed, self._aad)
        except InvalidTag:
            raise ArchiveCorrupt(
                f"{self._where}: chunk {self._counter} fails authentication: the archive is "
                "corrupt, truncated or was tampered with"
            ) from None
        self._counter += 1
        self._plain += plain
        self._done = last

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._plain) < size):
            self._next_chunk()
        if size < 0:
            size = len(self._plain)
        out = bytes(self._plain[:size])
        del self._plain[:size]
        return out

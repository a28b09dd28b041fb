"""Content identifiers: CIDv1, raw codec (0x55), sha2-256 multihash, base32 multibase.

A CID names exactly one byte string, so it is the store's key, the file name on disk and a
strong HTTP ETag at once. The same bytes added to IPFS with `--cid-version 1 --raw-leaves`
(single block) get the same CID, e.g. b"hello" →
"bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq".
"""

from __future__ import annotations

import functools
import hashlib

from multiformats import CID, multihash

from .errors import InvalidCid

RAW_CODEC = 0x55
SHA2_256 = 0x12
DIGEST_SIZE = 32


def cid_from_digest(digest: bytes) -> str:
    """The CIDv1 string for a sha2-256 digest of some raw bytes."""
    if len(digest) != DIGEST_SIZE:
        raise ValueError(f"a sha2-256 digest has {DIGEST_SIZE} bytes, got {len(digest)}")
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


def cid_of(data: bytes) -> str:
    """The CIDv1 string of `data` (for small byte strings; stream big ones through `CidHasher`)."""
    return cid_from_digest(hashlib.sha256(data).digest())


class CidHasher:
    """Incremental CID computation: feed chunks with `update`, read `cid` at the end."""

    __slots__ = ("_hash", "size")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def digest(self) -> bytes:
        return self._hash.digest()

    @property
    def cid(self) -> str:
        return cid_from_digest(self._hash.digest())


def parse_cid(text: str) -> str:
    """Validate `text` as a CID this store can hold and return its canonical (lower-case base32)
    form; raise `InvalidCid` (400) otherwise. Safe to use as a file name afterwards."""
    if not isinstance(text, str) or not 1 <= len(text) <= 128:
        raise InvalidCid("not a CID")
    return _canonical(text)


# Every audio request names its object by CID, and the multiformats decode costs ~100 µs of
# validation: remember valid ones (a raise is not cached, so junk never fills this).
@functools.lru_cache(maxsize=65_536)
def _canonical(text: str) -> str:
    try:
        cid = CID.decode(text)
    except Exception as exc:  # the library raises several unrelated error types
        raise InvalidCid(f"not a CID: {text[:64]!r}") from exc
    if cid.version != 1 or cid.codec.code != RAW_CODEC:
        raise InvalidCid("only CIDv1 with the raw codec names stored content")
    if cid.hashfun.code != SHA2_256 or len(cid.raw_digest) != DIGEST_SIZE:
        raise InvalidCid("only sha2-256 CIDs name stored content")
    return str(cid.set(base="base32"))


def is_cid(text: str) -> bool:
    try:
        parse_cid(text)
    except InvalidCid:
        return False
    return True


def digest_of(cid: str) -> bytes:
    """The sha2-256 digest a CID carries."""
    return bytes(CID.decode(parse_cid(cid)).raw_digest)

"""The archive format: one tar stream, a checksum manifest, a whole-file digest.

Payload = a POSIX tar stream followed by a 96-byte trailer line::

    backup.json                       first: format name and version, what the archive holds
    catalog/catalog.sqlite3           SQLite catalogue (online backup API copy), or
    catalog/catalog.pgdump            PostgreSQL catalogue (pg_dump custom format)
    chain/chain.sqlite3               embedded chain state (online backup API copy)
    deployment.json                   deployment manifest
    content/objects/<xx>/<cid>        every content object the catalogue references
    content/peaks/<cid>.json          their waveform peaks, where computed
    MANIFEST.json                     last: SHA-256 and size of every member above, the
                                      catalogue's row counts and checkpoint, the chain head
    "\\nMYCELIX-BACKUP-SHA256 <64 hex>\\n" (padded to 96 bytes): SHA-256 of all tar bytes

The trailer makes *every* byte count: a flip in tar padding or in the end-of-archive blocks,
which no member checksum covers, still fails the digest. Standard `tar` ignores bytes after the
end-of-archive marker, so a plain archive can still be unpacked by hand. An encrypted archive
is this payload sealed by `encrypt.py`. Readers accept only the member names above (regular
files), so a crafted archive cannot write outside the staging directory.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .encrypt import DecryptingReader, EncryptingWriter, is_encrypted
from .errors import ArchiveCorrupt, BackupError, PassphraseRequired

FORMAT_NAME = "mycelix-backup"
FORMAT_VERSION = 1
HEADER_MEMBER = "backup.json"
MANIFEST_MEMBER = "MANIFEST.json"
TRAILER_TAG = b"\nMYCELIX-BACKUP-SHA256 "
TRAILER_SIZE = 96
COPY_CHUNK = 1024 * 1024

MEMBER_NAME = re.compile(
    r"^(?:backup\.json|MANIFEST\.json|deployment\.json"
    r"|catalog/catalog\.(?:sqlite3|pgdump)|chain/chain\.sqlite3"
    r"|content/objects/[a-z2-7]{2}/[a-z2-7]{8,128}|content/peaks/[a-z2-7]{8,128}\.json)$"
)

Progress = Callable[[int], None]
"""Called with a number of bytes just processed."""


def _trailer(digest: bytes) -> bytes:
    line = TRAILER_TAG + digest.hex().encode() + b"\n"
    return line + b"\n" * (TRAILER_SIZE - len(line))


@dataclass
class Entry:
    sha256: str
    size: int


@dataclass
class Manifest:
    """What MANIFEST.json says: the checksums plus facts a restore checks against."""

    files: dict[str, Entry] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            **self.info,
            "files": {
                name: {"sha256": e.sha256, "size": e.size} for name, e in sorted(self.files.items())
            },
        }
        return json.dumps(body, indent=1, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        try:
            body = json.loads(data)
            files = {n: Entry(str(e["sha256"]), int(e["size"])) for n, e in body["files"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveCorrupt(f"{where}: MANIFEST.json is unreadable: {exc}") from exc
        _check_version(body, where)
        info = {k: v for k, v in body.items() if k not in ("files", "format", "version")}
        return cls(files, info)


def _check_version(body: dict[str, Any], where: str) -> None:
    if body.get("format") != FORMAT_NAME:
        raise ArchiveCorrupt(f"{where}: not a Mycelix backup archive")
    if body.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{where}: archive format version {body.get('version')!r}; this mycelix reads "
            f"version {FORMAT_VERSION}"
        )


class _DigestingWriter:
    """Counts and hashes every byte on its way to `sink`."""

    def __init__(self, sink: BinaryIO | EncryptingWriter) -> None:
        self.sink = sink
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.sink.write(data)
        return len(data)

    def flush(self) -> None:
        pass


class ArchiveWriter:
    """Write an archive member by member; `close()` appends MANIFEST.json and the trailer.

    Members are hashed as they are streamed in, so a big file is read once."""

    def __init__(
        self, file: BinaryIO, header: dict[str, Any], passphrase: str | None = None
    ) -> None:
        self._file = file
        self._encrypter = EncryptingWriter(file, passphrase) if passphrase else None
        self._digest = _DigestingWriter(self._encrypter or file)
        # Closed in close(), after the manifest: not a with-block's lifetime.
        self._tar = tarfile.open(  # type: ignore[call-overload]  # noqa: SIM115
            fileobj=self._digest,
            mode="w|",
            format=tarfile.PAX_FORMAT,
        )
        self.manifest = Manifest()
        self._mtime = int(time.time())
        self.add_bytes(
            HEADER_MEMBER,
            json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, **header}).encode(),
        )

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        if not MEMBER_NAME.match(name):
            raise ValueError(f"not an archive member name: {name}")
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self._mtime, 0o600
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))
        self.manifest.files[name] = Entry(hashlib.sha256(data).hexdigest(), len(data))

    def add_file(self, name: str, path: Path, progress: Progress | None = None) -> str:
        """Stream `path` in; returns its SHA-256 (hex)."""
        with path.open("rb") as source:
            size = path.stat().st_size
            hashing = _HashingReader(source, size, progress)
            self._tar.addfile(self._info(name, size), hashing)
        if hashing.read_bytes != size:
            raise BackupError(f"{path} changed size while being archived")
        digest = hashing.hash.hexdigest()
        self.manifest.files[name] = Entry(digest, size)
        return digest

    def close(self, info: dict[str, Any]) -> None:
        self.manifest.info = info
        data = self.manifest.to_json()
        self._tar.addfile(self._info(MANIFEST_MEMBER, len(data)), io.BytesIO(data))
        self._tar.close()
        trailer = _trailer(self._digest.hash.digest())
        (self._encrypter or self._file).write(trailer)
        if self._encrypter is not None:
            self._encrypter.close()
        self._file.flush()


class _HashingReader:
    def __init__(self, source: BinaryIO, size: int, progress: Progress | None) -> None:
        self.source, self.size, self.progress = source, size, progress
        self.hash = hashlib.sha256()
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        # Never past the size announced in the tar header, even if the file grew meanwhile.
        remaining = self.size - self.read_bytes
        data = self.source.read(remaining if n < 0 else min(n, remaining))
        self.hash.update(data)
        self.read_bytes += len(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


class _TailReader:
    """Hands the payload's tar bytes on and holds back the trailer; hashes what it hands on."""

    def __init__(self, source: BinaryIO | DecryptingReader) -> None:
        self._source = source
        self._buffer = bytearray()
        self._eof = False
        self.hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        want = COPY_CHUNK if n < 0 else n
        while not self._eof and len(self._buffer) < want + TRAILER_SIZE:
            data = self._source.read(COPY_CHUNK)
            if not data:
                self._eof = True
            self._buffer += data
        available = max(len(self._buffer) - TRAILER_SIZE, 0)
        take = available if n < 0 else min(n, available)
        out = bytes(self._buffer[:take])
        del self._buffer[:take]
        self.hash.update(out)
        return out

    def trailer(self) -> bytes:
        while self.read(COPY_CHUNK):
            pass
        return bytes(self._buffer)


class _CountingReader:
    def __init__(self, source: BinaryIO, progress: Progress | None) -> None:
        self._source, self._progress = source, progress

    def read(self, n: int = -1) -> bytes:
        data = self._source.read(n)
        if self._progress is not None and data:
            self._progress(len(data))
        return data


Sink = Callable[[str], BinaryIO | None]
"""Where a member goes while it is verified: a writable file, or None to only hash it."""


def read_archive(
    path: Path,
    passphrase: str | None,
    sink: Sink | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Read and verify the whole archive, handing each member to `sink`; returns the manifest.

    Raises `ArchiveCorrupt`, `WrongPassphrase` or `PassphraseRequired`; when it raises, what
    `sink` received must be discarded."""
    where = str(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    with raw:
        counted = _CountingReader(raw, progress)
        if is_encrypted(path):
            if not passphrase:
                raise PassphraseRequired(
                    f"{where} is encrypted: set MYCELIX_BACKUP_PASSPHRASE or run interactively"
                )
            tail = _TailReader(DecryptingReader(counted, passphrase, where=where))  # type: ignore[arg-type]
        else:
            tail = _TailReader(counted)  # type: ignore[arg-type]
        seen = _read_members(tail, sink, where)
        trailer = tail.trailer()
    manifest = seen.pop(MANIFEST_MEMBER, None)
    if not isinstance(manifest, Manifest):
        raise ArchiveCorrupt(f"{where}: MANIFEST.json is missing (truncated archive?)")
    # Member by member first: it names the damaged file.
    _compare(manifest, seen, where)
    if trailer != _trailer(tail.hash.digest()):
        raise ArchiveCorrupt(
            f"{where}: whole-archive SHA-256 does not match its trailer: the archive is "
            "corrupt, truncated or was tampered with"
        )
    return manifest


def _read_members(tail: _TailReader, sink: Sink | None, where: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    try:
        with tarfile.open(fileobj=tail, mode="r|") as tar:  # type: ignore[call-overload]
            for index, member in enumerate(tar):
                name = member.name
                if not member.isreg() or not MEMBER_NAME.match(name) or name in seen:
                    raise ArchiveCorrupt(f"{where}: unexpected member {name!r}")
                if MANIFEST_MEMBER in seen:
                    raise ArchiveCorrupt(f"{where}: member {name!r} after MANIFEST.json")
                source = tar.extractfile(member)
                assert source is not None
                if name in (HEADER_MEMBER, MANIFEST_MEMBER):
                    data = source.read()
                    if name == HEADER_MEMBER:
                        if index != 0:
                            raise ArchiveCorrupt(f"{where}: backup.json is not first")
                        _check_header(data, where)
                        seen[name] = Entry(hashlib.sha256(data).hexdigest(), len(data))
                    else:
                        seen[name] = Manifest.from_json(data, where)
                    continue
                if HEADER_MEMBER not in seen:
                    raise ArchiveCorrupt(f"{where}: backup.json is not first")
                seen[name] = _copy_member(source, sink(name) if sink else None)
    except tarfile.TarError as exc:
        raise ArchiveCorrupt(f"{where}: corrupt, or not a Mycelix archive ({exc})") from exc
    except EOFError as exc:
        raise ArchiveCorrupt(f"{where}: truncated archive") from exc
    return seen


def _check_header(data: bytes, where: str) -> None:
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise ArchiveCorrupt(f"{where}: backup.json is unreadable") from exc
    _check_version(body, where)


def _copy_member(source: BinaryIO, target: BinaryIO | None) -> Entry:
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if target is not None:
                target.write(chunk)
    finally:
        if target is not None:
            target.close()
    return Entry(digest.hexdigest(), size)


def _compare(manifest: Manifest, seen: dict[str, Entry], where: str) -> None:
    listed, present = set(manifest.files), set(seen)
    if missing := sorted(listed - present):
        raise ArchiveCorrupt(f"{where}: {len(missing)} listed file(s) missing, e.g. {missing[0]}")
    if extra := sorted(present - listed):
        raise ArchiveCorrupt(f"{where}: {len(extra)} unlisted file(s), e.g. {extra[0]}")
    for name, entry in seen.items():
        if manifest.files[name] != entry:
            raise ArchiveCorrupt(
                f"{where}: checksum mismatch for {name}: the archive is corrupt or was "
                "tampered with"
            )


def iter_names(manifest: Manifest, prefix: str) -> Iterator[str]:
    return (name for name in sorted(manifest.files) if name.startswith(prefix))

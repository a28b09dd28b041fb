"""The content store: immutable, content-addressed objects named by their CID.

`ContentStore` is the interface the API, the CLI and the ingest pipeline use; everything on
it is async so that a remote backend (IPFS, S3-compatible) can implement it with network
calls. An upload is *staged* first — received completely into a local temporary file while
its CID is computed incrementally — so it can be validated before it becomes visible, then
*committed* (or dropped: leaving the `stage` block without committing, for any reason, deletes
the temporary file):

    async with store.stage(request_body, limit=100 * MiB) as staged:
        probe_audio(staged.path)            # raise to reject: nothing is left behind
        stored = await store.commit(staged)

`LocalContentStore` keeps objects under `root/objects/<2 chars>/<cid>` (sharded on the
next-to-last two characters of the CID like IPFS's flatfs) and temporary files under
`root/tmp/`, on the same filesystem, so a commit is one atomic rename.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast, runtime_checkable

from .cid import CidHasher, parse_cid
from .errors import ContentNotFound, UploadTooLarge
from .peaks import load_peaks, save_peaks
from .ranges import DEFAULT_CHUNK_SIZE, iter_file_range


class AsyncReadable(Protocol):
    """A file-like object with `async read(n)`, such as an uploaded file in a web framework."""

    async def read(self, size: int = -1, /) -> bytes: ...


ByteSource = AsyncIterable[bytes] | Iterable[bytes] | bytes | BinaryIO | AsyncReadable
"""What `stage`/`put` accept: an async or sync iterable of byte chunks (a request body), a
binary file object, sync or async (read in chunks), or, for small data, bytes."""

TEMP_SUFFIX = ".part"


async def iter_source(
    source: ByteSource, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> AsyncIterator[bytes]:
    """Normalise any `ByteSource` to an async iterator of non-empty byte chunks."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be > 0")
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for offset in range(0, len(data), chunk_size):
            yield data[offset : offset + chunk_size]
        return
    read = getattr(source, "read", None)
    if read is not None:
        # A binary file, or an async one such as an uploaded-file object with `async read`.
        while True:
            if inspect.iscoroutinefunction(read):
                chunk = await read(chunk_size)
            else:
                chunk = await asyncio.to_thread(read, chunk_size)
            if not chunk:
                return
            yield bytes(chunk)
    if isinstance(source, AsyncIterable):
        async for chunk in source:
            if chunk:
                yield bytes(chunk)
        return
    for chunk in cast(Iterable[bytes], source):
        if chunk:
            yield bytes(chunk)


class StagedObject:
    """A completely received upload, not yet visible in the store.

    `path` is a local file holding exactly the uploaded bytes, for validation; it disappears
    when the stage block ends (committed or not).
    """

    __slots__ = ("_owner", "cid", "committed", "path", "size")

    def __init__(self, owner: object, path: Path, cid: str, size: int) -> None:
        self._owner = owner
        self.path = path
        self.cid = cid
        self.size = size
        self.committed = False

    def __repr__(self) -> str:
        return f"StagedObject(cid={self.cid!r}, size={self.size})"


@dataclass(frozen=True)
class StoredObject:
    """The result of a commit. `deduplicated`: identical bytes were already stored, so the
    upload was dropped and the existing object kept."""

    cid: str
    size: int
    deduplicated: bool


@runtime_checkable
class ContentStore(Protocol):
    """Immutable objects keyed by CID. Implementations: `LocalContentStore`; an IPFS or S3
    backend would stage to a local temp file the same way and upload on `commit`."""

    def stage(
        self, source: ByteSource, *, limit: int | None = None
    ) -> AbstractAsyncContextManager[StagedObject]:
        """Receive `source` completely into a temporary local file, computing its CID.

        Raises `UploadTooLarge` (413) as soon as more than `limit` bytes arrive (the rest of
        the stream is not read). Whatever ends the block — an exception, a disconnect, a
        cancellation or simply not committing — the temporary file is removed.
        """
        ...

    async def commit(self, staged: StagedObject) -> StoredObject:
        """Make a staged object visible under its CID (atomically; dedup if present)."""
        ...

    async def put(self, source: ByteSource, *, limit: int | None = None) -> StoredObject:
        """`stage` + `commit` without validation."""
        ...

    async def exists(self, cid: str) -> bool: ...

    async def size(self, cid: str) -> int:
        """Size in bytes; raises `ContentNotFound` (404)."""
        ...

    def read_range(
        self, cid: str, start: int, end: int, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        """Bytes `start..end` (inclusive) of an object, in chunks."""
        ...

    async def delete(self, cid: str) -> bool:
        """Remove an object; False if it was not there."""
        ...

    def local_path(self, cid: str) -> Path | None:
        """A local file holding the object if the backend has one (for sendfile/nginx), else
        None. Does not check that it exists."""
        ...

    def local_copy(self, cid: str) -> AbstractAsyncContextManager[Path]:
        """A local file with the object's bytes for the block's duration. Media probing and
        waveform decoding run FFmpeg/libsndfile, which read files by name, so this cannot be
        a byte stream; a remote backend downloads to a temporary file and removes it after."""
        ...

    async def load_peaks(self, cid: str) -> list[float] | None:
        """The waveform peaks kept for an object (None if there are none): derived data kept
        beside the content so it is computed once, at upload."""
        ...

    async def save_peaks(self, cid: str, peaks: list[float]) -> None: ...

    def check(self) -> None:
        """Raise if the store cannot be used (readiness probe; sync, run on a worker thread)."""
        ...


class LocalContentStore:
    """Content-addressed files in a local directory (the embedded default)."""

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"
        self.fsync = fsync
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalContentStore({str(self.root)!r})"

    # -- paths ---------------------------------------------------------------------------

    def path(self, cid: str) -> Path:
        """Where the object with this CID lives (validates the CID: safe as a file name)."""
        canonical = parse_cid(cid)
        return self.objects_dir / canonical[-3:-1] / canonical

    def local_path(self, cid: str) -> Path | None:
        return self.path(cid)

    @asynccontextmanager
    async def local_copy(self, cid: str) -> AsyncIterator[Path]:
        yield self.path(cid)  # already a local file: no copy

    async def load_peaks(self, cid: str) -> list[float] | None:
        return await asyncio.to_thread(load_peaks, self.root, cid)

    async def save_peaks(self, cid: str, peaks: list[float]) -> None:
        await asyncio.to_thread(save_peaks, self.root, cid, peaks)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.root.is_dir():
            raise RuntimeError(f"{self.root} is not a directory")

    # -- writing -------------------------------------------------------------------------

    def stage(
        self, source: ByteSource, *, limit: int | None = None
    ) -> AbstractAsyncContextManager[StagedObject]:
        return self._stage(source, limit)

    @asynccontextmanager
    async def _stage(self, source: ByteSource, limit: int | None) -> AsyncIterator[StagedObject]:
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=TEMP_SUFFIX, dir=self.tmp_dir)
        temp = Path(name)
        staged: StagedObject | None = None
        try:
            hasher = CidHasher()
            with os.fdopen(fd, "wb") as file:
                async for chunk in iter_source(source):
                    if limit is not None and hasher.size + len(chunk) > limit:
                        raise UploadTooLarge(limit)
                    hasher.update(chunk)
                    file.write(chunk)
                file.flush()
                if self.fsync:
                    await asyncio.to_thread(os.fsync, file.fileno())
            staged = StagedObject(self, temp, hasher.cid, hasher.size)
            yield staged
        finally:
            if staged is None or not staged.committed:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()

    async def commit(self, staged: StagedObject) -> StoredObject:
        if staged._owner is not self:
            raise ValueError("that staged object belongs to another store")
        if staged.committed:
            raise ValueError("that staged object is already committed")
        deduplicated = await asyncio.to_thread(self._commit_sync, staged)
        staged.committed = True
        return StoredObject(staged.cid, staged.size, deduplicated)

    def _commit_sync(self, staged: StagedObject) -> bool:
        final = self.path(staged.cid)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o644)
        try:
            # A hard link creates the name only if it is free, atomically: of concurrent
            # identical uploads (threads or processes) exactly one stores the object.
            os.link(staged.path, final)
        except FileExistsError:
            try:
                existing: int | None = final.stat().st_size
            except FileNotFoundError:
                existing = None
            if existing == staged.size:
                staged.path.unlink()
                return True
            # A damaged copy of another size (the CID says what the size must be), or one
            # deleted meanwhile: the new bytes take its place.
            os.replace(staged.path, final)
        else:
            staged.path.unlink()
        if self.fsync:
            _fsync_dir(final.parent)
        return False

    async def put(self, source: ByteSource, *, limit: int | None = None) -> StoredObject:
        async with self.stage(source, limit=limit) as staged:
            return await self.commit(staged)

    # -- reading -------------------------------------------------------------------------

    async def exists(self, cid: str) -> bool:
        return self.path(cid).is_file()

    async def size(self, cid: str) -> int:
        try:
            return self.path(cid).stat().st_size
        except FileNotFoundError:
            raise ContentNotFound(f"no content with CID {cid}") from None

    def read_range(
        self, cid: str, start: int, end: int, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        return iter_file_range(self.path(cid), start, end, chunk_size)

    def open(self, cid: str) -> BinaryIO:
        """The object as a read-only binary file (sync; local store only)."""
        try:
            return self.path(cid).open("rb")
        except FileNotFoundError:
            raise ContentNotFound(f"no content with CID {cid}") from None

    async def delete(self, cid: str) -> bool:
        try:
            self.path(cid).unlink()
        except FileNotFoundError:
            return False
        return True

    # -- maintenance (sync, local store only) --------------------------------------------

    def iter_cids(self) -> Iterator[str]:
        """Every stored CID (for backups and garbage collection)."""
        for shard in sorted(self.objects_dir.iterdir()):
            if shard.is_dir():
                for entry in sorted(shard.iterdir()):
                    if entry.is_file():
                        yield entry.name

    def verify(self, cid: str) -> bool:
        """Re-hash the stored file: True if its bytes still match its CID (for backups,
        restores and scrubbing; False also when it is missing)."""
        hasher = CidHasher()
        try:
            with self.path(cid).open("rb") as file:
                while chunk := file.read(1024 * 1024):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return hasher.cid == parse_cid(cid)

    def sweep_temp(self, max_age: float = 3600.0) -> int:
        """Delete temporary files older than `max_age` seconds — left only by a process that
        died mid-upload (a live upload keeps touching its file). Returns how many."""
        cutoff = time.time() - max_age
        removed = 0
        for entry in self.tmp_dir.glob(f"*{TEMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mycelix.storage import (
    ContentNotFound,
    ContentStore,
    InvalidCid,
    LocalContentStore,
    UploadTooLarge,
    cid_of,
)

from .support import achunks, files_under, run

MiB = 1024 * 1024


def test_local_store_implements_protocol(store: LocalContentStore) -> None:
    assert isinstance(store, ContentStore)


def test_put_is_content_addressed_and_sharded(store: LocalContentStore) -> None:
    stored = run(store.put(achunks(b"hello world" * 1000, 7)))
    assert stored.cid == cid_of(b"hello world" * 1000)
    assert stored.size == 11000 and not stored.deduplicated
    path = store.path(stored.cid)
    assert path.read_bytes() == b"hello world" * 1000
    assert path.parent.name == stored.cid[-3:-1]
    assert path.parent.parent == store.objects_dir
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert run(store.exists(stored.cid))
    assert run(store.size(stored.cid)) == 11000
    assert list(store.iter_cids()) == [stored.cid]


def test_identical_bytes_stored_once(store: LocalContentStore) -> None:
    first = run(store.put(b"same bytes"))
    second = run(store.put(achunks(b"same bytes", 3)))
    assert second.cid == first.cid
    assert second.deduplicated and not first.deduplicated
    assert files_under(store.root) == [store.path(first.cid)]


def test_identical_bytes_committed_at_once_are_stored_by_exactly_one(
    store: LocalContentStore,
) -> None:
    """Concurrent identical uploads (worker threads here; processes alike): one commit stores
    the object, every other reports it deduplicated."""

    async def commit_at_once(data: bytes, n: int) -> list[bool]:
        async with contextlib.AsyncExitStack() as stack:
            staged = [await stack.enter_async_context(store.stage(data)) for _ in range(n)]
            stored = await asyncio.gather(*(store.commit(s) for s in staged))
        return [s.deduplicated for s in stored]

    for round_ in range(20):
        data = f"round {round_} ".encode() * 4096
        flags = run(commit_at_once(data, 8))
        assert sorted(flags) == [False] + [True] * 7, (round_, flags)
        assert store.path(cid_of(data)).read_bytes() == data
    assert not any(store.tmp_dir.iterdir())


def test_damaged_copy_is_replaced(store: LocalContentStore) -> None:
    cid = run(store.put(b"the right bytes")).cid
    store.path(cid).write_bytes(b"torn")  # e.g. a half-written file from before a crash
    again = run(store.put(b"the right bytes"))
    assert not again.deduplicated
    assert store.path(cid).read_bytes() == b"the right bytes"


@pytest.mark.parametrize(
    "source",
    [
        b"abc" * 5000,
        [b"abc" * 2000, b"", b"abc" * 3000],
        io.BytesIO(b"abc" * 5000),
    ],
    ids=["bytes", "sync-iterable", "file"],
)
def test_sources(store: LocalContentStore, source: Any) -> None:
    stored = run(store.put(source))
    assert stored.cid == cid_of(b"abc" * 5000)


def test_async_file_source(store: LocalContentStore) -> None:
    class AsyncFile:  # like an uploaded-file object with `async read(n)`
        def __init__(self, data: bytes) -> None:
            self.buffer = io.BytesIO(data)

        async def read(self, size: int = -1) -> bytes:
            return self.buffer.read(size)

    assert run(store.put(AsyncFile(b"xyz" * 100_000))).cid == cid_of(b"xyz" * 100_000)


def test_empty_put_is_allowed_by_the_store(store: LocalContentStore) -> None:
    # The store itself is generic; refusing empty uploads is the ingest pipeline's job.
    assert run(store.put(b"")).cid == cid_of(b"")


def test_limit_exceeded_stops_reading_and_leaves_nothing(store: LocalContentStore) -> None:
    consumed = []

    async def body() -> AsyncIterator[bytes]:
        for i in range(100):
            consumed.append(i)
            yield b"x" * 1000

    with pytest.raises(
        UploadTooLarge, match=r"upload is larger than the limit of 10\.3 KiB"
    ) as info:
        run(store.put(body(), limit=10_500))
    assert info.value.status == 413
    assert "10.3 KiB" in info.value.message
    assert len(consumed) == 11  # stopped at the chunk that crossed the limit
    assert files_under(store.root) == []


def test_exactly_at_limit_is_accepted(store: LocalContentStore) -> None:
    assert run(store.put(b"x" * 1000, limit=1000)).size == 1000


def test_disconnect_mid_upload_leaves_nothing(store: LocalContentStore) -> None:
    class ClientDisconnect(Exception):
        pass

    async def body() -> AsyncIterator[bytes]:
        yield b"a" * 100_000
        yield b"b" * 100_000
        raise ClientDisconnect

    with pytest.raises(ClientDisconnect, match=r"^$"):
        run(store.put(body()))
    assert files_under(store.root) == []


def test_cancelled_upload_leaves_nothing(store: LocalContentStore) -> None:
    started = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"a" * 100_000
        started.set()
        await asyncio.sleep(60)
        yield b"never"

    async def scenario() -> None:
        task = asyncio.create_task(store.put(body()))
        await started.wait()
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError, match=r"^$"):
            await task

    run(scenario())
    assert files_under(store.root) == []


def test_stage_without_commit_leaves_nothing(store: LocalContentStore) -> None:
    async def scenario() -> Path:
        async with store.stage(b"validated but rejected") as staged:
            assert staged.path.read_bytes() == b"validated but rejected"
            assert staged.path.parent == store.tmp_dir
            assert staged.cid == cid_of(b"validated but rejected")
            path = staged.path
        return path

    path = run(scenario())
    assert not path.exists()
    assert files_under(store.root) == []


def test_validation_failure_inside_stage_leaves_nothing(store: LocalContentStore) -> None:
    async def scenario() -> None:
        async with store.stage(b"bad") as staged:
            assert staged.path.exists()
            raise ValueError("rejected")

    with pytest.raises(ValueError, match="rejected"):
        run(scenario())
    assert files_under(store.root) == []


def test_commit_twice_or_elsewhere_refused(store: LocalContentStore, tmp_path: Path) -> None:
    other = LocalContentStore(tmp_path / "other")

    async def scenario() -> None:
        async with store.stage(b"data") as staged:
            with pytest.raises(ValueError, match="another store"):
                await other.commit(staged)
            await store.commit(staged)
            with pytest.raises(ValueError, match="already"):
                await store.commit(staged)

    run(scenario())
    assert files_under(store.root) == [store.path(cid_of(b"data"))]


def test_read_range_and_missing(store: LocalContentStore) -> None:
    data = bytes(range(256)) * 1000
    cid = run(store.put(data)).cid

    async def read(start: int, end: int, chunk: int) -> list[bytes]:
        return [c async for c in store.read_range(cid, start, end, chunk)]

    chunks = run(read(10, 200_009, 65536))
    assert b"".join(chunks) == data[10:200_010]
    assert [len(c) for c in chunks] == [65536, 65536, 65536, 3392]
    missing = cid_of(b"not stored")
    with pytest.raises(ContentNotFound, match="no content with CID bafkrei") as info:
        run(store.size(missing))
    assert info.value.status == 404
    with pytest.raises(ContentNotFound, match="no content with CID bafkrei"):
        store.open(missing)
    assert not run(store.exists(missing))


def test_delete(store: LocalContentStore) -> None:
    cid = run(store.put(b"bye")).cid
    assert run(store.delete(cid))
    assert not run(store.delete(cid))
    assert files_under(store.root) == []


def test_paths_only_from_valid_cids(store: LocalContentStore) -> None:
    with pytest.raises(InvalidCid, match=r"not a CID: '\.\./\.\./etc/passwd'"):
        store.path("../../etc/passwd")
    with pytest.raises(InvalidCid, match="only CIDv1 with the raw codec names stored content"):
        run(store.exists("QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u"))


def test_verify_detects_bit_rot(store: LocalContentStore) -> None:
    cid = run(store.put(b"precious" * 1000)).cid
    assert store.verify(cid)
    data = bytearray(store.path(cid).read_bytes())
    data[100] ^= 1
    store.path(cid).write_bytes(bytes(data))
    assert not store.verify(cid)
    assert not store.verify(cid_of(b"absent"))


def test_sweep_removes_only_stale_temp_files(store: LocalContentStore) -> None:
    stale = store.tmp_dir / "upload-dead.part"
    fresh = store.tmp_dir / "upload-live.part"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert store.sweep_temp(max_age=3600) == 1
    assert not stale.exists() and fresh.exists()


def test_50_mib_upload_streams_in_constant_memory(store: LocalContentStore) -> None:
    size = 50 * MiB
    chunk = 64 * 1024

    def body() -> Iterator[bytes]:
        for _ in range(size // chunk):
            yield os.urandom(chunk)  # like a request body: fresh 64 KiB chunks

    async def upload() -> int:
        stored = await store.put(achunks(body()), limit=size)
        return stored.size

    tracemalloc.start()
    try:
        assert run(upload()) == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 * MiB, f"peak traced memory {peak / MiB:.2f} MiB for a 50 MiB upload"
    [path] = files_under(store.root)
    assert path.stat().st_size == size


def test_local_copy_holds_the_objects_bytes(store: LocalContentStore) -> None:
    stored = run(store.put(b"probe me"))

    async def read_copy() -> bytes:
        async with store.local_copy(stored.cid) as path:
            return path.read_bytes()

    assert run(read_copy()) == b"probe me"
    assert run(store.exists(stored.cid)), "the local store's copy is the object itself"


def test_peaks_round_trip_and_absent_peaks_are_none(store: LocalContentStore) -> None:
    stored = run(store.put(b"some audio"))
    assert run(store.load_peaks(stored.cid)) is None
    run(store.save_peaks(stored.cid, [0.125, 0.5, 1.0]))
    assert run(store.load_peaks(stored.cid)) == [0.125, 0.5, 1.0]


def test_check_refuses_a_root_that_is_a_file(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    store.check()
    blocked = LocalContentStore(tmp_path / "other")
    blocked.root = tmp_path / "a-file"
    blocked.root.write_text("not a directory")
    with pytest.raises(FileExistsError, match="a-file"):
        blocked.check()

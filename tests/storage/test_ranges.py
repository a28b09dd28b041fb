from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelix.storage import RangeNotSatisfiable, cid_of
from mycelix.storage.ranges import (
    ByteRange,
    ResponsePlan,
    cache_control,
    http_date,
    iter_file_range,
    parse_range,
    plan_response,
)

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=0-0", (0, 0)),
        ("bytes=500-", (500, 999)),  # open-ended
        ("bytes=-100", (900, 999)),  # suffix
        ("bytes=-5000", (0, 999)),  # suffix longer than the file: all of it
        ("bytes=990-5000", (990, 999)),  # clamped to the end
        ("bytes=999-999", (999, 999)),
        ("Bytes=1-2", (1, 2)),  # the unit is case-insensitive
        ("bytes=007-9", (7, 9)),
        ("bytes= 1-2 ", (1, 2)),  # optional whitespace around list elements
        ("bytes=,1-2,", (1, 2)),  # empty list elements are allowed
        ("items=0-1", None),  # unknown unit: ignored (RFC 9110 §14.2 MUST)
        ("bytes=0-1,5-6", None),  # multi-range: whole representation
        ("bytes=0-0,-1", None),
        ("bytes=0-1,5000-6000", None),  # one of them satisfiable is enough for a 200
    ],
)
def test_parse(header: str | None, expected: tuple[int, int] | None) -> None:
    parsed = parse_range(header, SIZE)
    if expected is None:
        assert parsed is None
    else:
        assert parsed == ByteRange(*expected, SIZE)


UNSATISFIABLE = (
    r"^(malformed (Range header|byte range)|byte range ends before it starts|a suffix range of 0"
    r"|no requested range is satisfiable|range starts at byte \d+ but the content has)"
)


@pytest.mark.parametrize(
    "header",
    [
        "bytes=1000-",  # starts at the end
        "bytes=5000-6000",  # past the end
        "bytes=-0",  # a suffix of nothing
        "bytes=5-4",  # ends before it starts
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=-",
        "bytes=",
        "bytes=+1-2",
        "bytes=1 - 2",
        "bytes=١-٢",  # non-ASCII digits
        "bytes = 1-2",
        "0-99",
        "",
        "bytes=2000-3000,4000-",  # no range in the set is satisfiable
        "bytes=0-1,x",  # a malformed element spoils the set
        "bytes=" + ",".join(["0-1"] * 101),  # too many ranges
    ],
)
def test_unsatisfiable_or_malformed_is_416(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable, match=UNSATISFIABLE) as info:
        parse_range(header, SIZE)
    assert info.value.status == 416
    assert info.value.headers == {"Content-Range": "bytes */1000"}


def test_zero_length_representation() -> None:
    assert parse_range("bytes=-5", 0) is None
    with pytest.raises(RangeNotSatisfiable, match="range starts at byte 0 but the content has 0"):
        parse_range("bytes=0-", 0)


def test_byte_range_helpers() -> None:
    r = ByteRange(10, 19, 100)
    assert (r.length, r.content_range, r.is_full) == (10, "bytes 10-19/100", False)
    assert ByteRange(0, 99, 100).is_full


# -- response planning -----------------------------------------------------------------

CID = cid_of(b"some audio")
ETAG = f'"{CID}"'
MODIFIED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def plan(**kwargs: Any) -> ResponsePlan:
    return plan_response(cid=CID, size=SIZE, media_type="audio/mpeg", **kwargs)


def test_full_response_headers() -> None:
    p = plan()
    assert p.status == 200
    assert p.body == ByteRange(0, 999, SIZE)
    assert p.headers == {
        "Content-Type": "audio/mpeg",
        "Content-Length": "1000",
        "Accept-Ranges": "bytes",
        "ETag": ETAG,
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
    }


def test_partial_response_headers() -> None:
    p = plan(range_header="bytes=100-199", last_modified=MODIFIED)
    assert p.status == 206
    assert p.body == ByteRange(100, 199, SIZE)
    assert p.headers["Content-Range"] == "bytes 100-199/1000"
    assert p.headers["Content-Length"] == "100"
    assert p.headers["Content-Type"] == "audio/mpeg"
    assert p.headers["ETag"] == ETAG
    assert p.headers["Accept-Ranges"] == "bytes"
    assert p.headers["Last-Modified"] == "Wed, 01 May 2024 12:00:00 GMT"


def test_416_response() -> None:
    p = plan(range_header="bytes=1000-")
    assert p.status == 416 and p.body is None
    assert p.headers == {
        "Accept-Ranges": "bytes",
        "Content-Range": "bytes */1000",
        "Content-Length": "0",
    }


def test_private_for_gated_content() -> None:
    assert plan(public=False).headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert cache_control(max_age=60) == "public, max-age=60, immutable"


@pytest.mark.parametrize("header", [ETAG, f"W/{ETAG}", f'"other", {ETAG}', "*", f' "x" ,W/{ETAG} '])
def test_if_none_match_hits_304(header: str) -> None:
    p = plan(if_none_match=header, range_header="bytes=0-1", last_modified=MODIFIED)
    assert p.status == 304 and p.body is None
    assert p.headers == {"ETag": ETAG, "Cache-Control": "public, max-age=31536000, immutable"}


def test_if_none_match_miss() -> None:
    assert plan(if_none_match='"something-else"').status == 200
    # If-None-Match present: If-Modified-Since is ignored (RFC 9110 §13.1.3).
    p = plan(if_none_match='"x"', if_modified_since=http_date(MODIFIED), last_modified=MODIFIED)
    assert p.status == 200


def test_if_modified_since() -> None:
    assert plan(if_modified_since=http_date(MODIFIED), last_modified=MODIFIED).status == 304
    earlier = "Tue, 30 Apr 2024 12:00:00 GMT"
    assert plan(if_modified_since=earlier, last_modified=MODIFIED).status == 200
    assert plan(if_modified_since="garbage", last_modified=MODIFIED).status == 200
    assert plan(if_modified_since=http_date(MODIFIED)).status == 200  # no Last-Modified known


def test_if_range() -> None:
    ranged = {"range_header": "bytes=0-9", "last_modified": MODIFIED}
    assert plan(if_range=ETAG, **ranged).status == 206
    assert plan(if_range='"stale"', **ranged).status == 200  # changed: send it all
    assert plan(if_range=f"W/{ETAG}", **ranged).status == 200  # weak never matches
    assert plan(if_range=http_date(MODIFIED), **ranged).status == 206
    assert plan(if_range="Tue, 30 Apr 2024 12:00:00 GMT", **ranged).status == 200
    # A failed If-Range also means a bad range is never looked at.
    assert plan(if_range='"stale"', range_header="bytes=5000-").status == 200


def test_naive_datetimes_are_utc() -> None:
    assert http_date(datetime(2024, 5, 1, 12, 0, 0)) == "Wed, 01 May 2024 12:00:00 GMT"


def test_empty_object() -> None:
    p = plan_response(cid=cid_of(b""), size=0, media_type="audio/mpeg")
    assert p.status == 200 and p.body is None and p.headers["Content-Length"] == "0"


# -- chunked reading -------------------------------------------------------------------


def collect(path: Path, start: int, end: int, chunk: int) -> list[bytes]:
    async def go() -> list[bytes]:
        return [c async for c in iter_file_range(path, start, end, chunk)]

    return asyncio.run(go())


def test_iter_file_range_chunks(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = os.urandom(200_000)
    path.write_bytes(data)
    chunks = collect(path, 0, 199_999, 65536)
    assert [len(c) for c in chunks] == [65536, 65536, 65536, 3392]
    assert b"".join(chunks) == data
    assert collect(path, 5, 4, 10) == []


def test_iter_file_range_short_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    with pytest.raises(OSError, match="ended"):
        collect(path, 5, 20, 4)


def test_iter_file_range_argument_checks(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="chunk_size must be > 0"):
        collect(path, 0, 0, 0)
    with pytest.raises(ValueError, match="bad range -1-0"):
        collect(path, -1, 0, 10)


# -- property: any range that parses is in bounds and streams exactly those bytes --------


def range_headers(size: int) -> st.SearchStrategy[str]:
    n = st.integers(min_value=0, max_value=size * 2 + 2)
    return st.one_of(
        st.builds(lambda a, b: f"bytes={a}-{b}", n, n),
        st.builds(lambda a: f"bytes={a}-", n),
        st.builds(lambda a: f"bytes=-{a}", n),
    )


@st.composite
def size_header_chunk(draw: st.DrawFn) -> tuple[int, str, int]:
    size = draw(st.integers(min_value=1, max_value=300_000))
    # At most ~500 chunks per read: each is a thread hop, and speed is not under test here.
    chunk = draw(st.integers(min_value=max(1, size // 500), max_value=size + 10))
    return size, draw(range_headers(size)), chunk


@settings(max_examples=150, deadline=None)
@given(size_header_chunk())
def test_property_parsed_range_streams_exactly(case: tuple[int, str, int]) -> None:
    size, header, chunk = case
    try:
        parsed = parse_range(header, size)
    except RangeNotSatisfiable as exc:
        assert exc.headers["Content-Range"] == f"bytes */{size}"
        return
    assert parsed is not None
    assert 0 <= parsed.start <= parsed.end < size
    assert parsed.length == parsed.end - parsed.start + 1
    data = os.urandom(size)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "object"
        path.write_bytes(data)
        chunks = collect(path, parsed.start, parsed.end, chunk)
    assert all(0 < len(c) <= chunk for c in chunks)
    assert b"".join(chunks) == data[parsed.start : parsed.end + 1]
    plan_ = plan_response(cid=CID, size=size, media_type="audio/ogg", range_header=header)
    assert plan_.status == 206 and plan_.body == parsed
    assert plan_.headers["Content-Length"] == str(parsed.length)

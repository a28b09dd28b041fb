"""Opaque keyset cursors.

A cursor is the sort key of the last row a client saw, so the next page is "rows after
this key in this order" — an index range scan, not an OFFSET, and stable under inserts: a
row inserted while a client pages never shifts the rows after the cursor, so no row is
repeated or skipped (a new row shows up if it sorts after the cursor, not otherwise).
Every sort ends with the primary key, so keys are unique and the order is total.

Format: URL-safe base64 (unpadded) of compact JSON ``{"v": 1, "s": <sort>, "k": [...]}``.
It is opaque to clients but not secret: a forged cursor can only start a page somewhere
else in the same ordering. Anything malformed, or made for another sort, raises
`InvalidCursor` (the API's 400) — also a well-formed key no row could have: an integer past
64 bits (no database column holds it), a time that does not convert to UTC (year 1 with an
offset), text with a NUL (PostgreSQL refuses it). `integer`, `moment` and `text` check one
part of a key.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from .common import InvalidCursor

VERSION = 1
MAX_CURSOR_LENGTH = 1_024
INT64 = range(-(2**63), 2**63)


def encode(sort: str, key: list[Any]) -> str:
    """A cursor for rows after `key` (JSON-serialisable values) in ordering `sort`."""
    raw = json.dumps({"v": VERSION, "s": sort, "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, sort: str, arity: int) -> list[Any]:
    """The key inside `cursor`, checked to belong to ordering `sort` with `arity` parts."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("malformed cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("malformed cursor") from exc
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise InvalidCursor("malformed cursor")
    if data.get("s") != sort:
        raise InvalidCursor(f"cursor was made for sort {data.get('s')!r}, not {sort!r}")
    key = data.get("k")
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidCursor("malformed cursor")
    return key


def integer(value: Any) -> int:
    """A key part that is an integer a database column can hold (signed 64 bits)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in INT64:
        raise InvalidCursor("malformed cursor")
    return value


def moment(value: Any) -> datetime:
    """A key part that is an ISO 8601 time with an offset, as an aware UTC datetime."""
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("naive time")
        return when.astimezone(UTC)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: year 1 at +01:00
        raise InvalidCursor("malformed cursor") from exc


def text(value: Any) -> str:
    """A key part that is a string a database can compare (no NUL)."""
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidCursor("malformed cursor")
    return value

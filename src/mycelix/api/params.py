"""Path and query parameters shared by several domains, validated the same way everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from mycelix.api.errors import APIError

_HEX = frozenset("0123456789abcdef")


def song_id_param(text: str) -> str:
    """A bytes32 song id from a path (with or without 0x, any case) → lower-case 0x-hex."""
    value = song_id_or_none(text)
    if value is None:
        raise APIError(
            422, f"not a song id: {text!r} (expected 0x + 64 hex digits)", "invalid_request"
        )
    return value


def song_id_or_none(text: str) -> str | None:
    """`song_id_param` without the error: None when `text` is not a song id (the fast paths
    then leave the request to the route, which answers the 422)."""
    value = text.lower()
    if not value.startswith("0x"):
        value = "0x" + value
    if len(value) != 66 or not set(value[2:]) <= _HEX:
        return None
    return value


def address_param(text: str) -> str:
    """An address from a path → lower-case 0x-hex (the catalogue's form)."""
    value = text.lower()
    if len(value) != 42 or not value.startswith("0x") or not set(value[2:]) <= _HEX:
        raise APIError(422, f"not an address: {text!r}", "invalid_request")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # year 1 at +01:00, year 9999 at -01:00
        raise ValueError("out of range once converted to UTC") from None


UtcTime = Annotated[datetime, AfterValidator(_utc)]
"""An ISO 8601 time, as an aware UTC datetime (naive means UTC); 422 when it cannot be one."""


def _line(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("control characters (line breaks, tabs, NUL) are not allowed")
    return value


def _paragraphs(value: str) -> str:
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in value):
        raise ValueError("control characters other than line breaks and tabs are not allowed")
    return value


MAX_TITLE = 300
MAX_GENRE = 64
MAX_NAME = 100
MAX_BIO = 2_000

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), AfterValidator(_line)]
"""A song title: one line, 1 to 300 characters."""
Genre = Annotated[str, Field(max_length=MAX_GENRE), AfterValidator(_line)]
"""A genre: one line, at most 64 characters."""
ArtistName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_line)]
"""An artist's name: one line, 1 to 100 characters (it rides in every song payload)."""
Bio = Annotated[str, Field(max_length=MAX_BIO), AfterValidator(_paragraphs)]
"""An artist's bio: at most 2,000 characters, line breaks allowed."""

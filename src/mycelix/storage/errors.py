"""Errors of the content store, each carrying the HTTP status and error code the API answers with.

The API layer maps any `StorageError` to `{"error": {"code": e.code, "message": e.message}}`
with status `e.status` (plus `e.headers`, e.g. `Content-Range` on a 416).
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class: an upload or read the store refuses, with an HTTP-ish status."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The API's error body."""
        return {"error": {"code": self.code, "message": self.message}}


class EmptyUpload(StorageError):
    """The upload had no bytes at all (400)."""

    status = 400
    code = "empty_upload"


class UploadTooLarge(StorageError):
    """The upload went past its size limit (413); reading stopped at the limit."""

    status = 413
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"upload is larger than the limit of {format_size(limit)}")
        self.limit = limit


class UnsupportedMedia(StorageError):
    """The bytes are not a supported audio/image format, or are corrupt or truncated (415)."""

    status = 415
    code = "unsupported_media_type"


class ContentNotFound(StorageError):
    """No object with that CID in the store (404)."""

    status = 404
    code = "not_found"


class InvalidCid(StorageError, ValueError):
    """Text that is not a CIDv1 (raw, sha2-256, base32) as this store makes them (400)."""

    status = 400
    code = "invalid_cid"


class RangeNotSatisfiable(StorageError):
    """A `Range` header that cannot be served for this size (416, `Content-Range: bytes */size`)."""

    status = 416
    code = "range_not_satisfiable"

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message, headers={"Content-Range": f"bytes */{size}"})
        self.size = size


def format_size(n: int) -> str:
    """Human-readable byte count: 512 B, 10 MiB, 1.5 GiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")

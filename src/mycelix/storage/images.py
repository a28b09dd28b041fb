"""Validate a cover image (PNG, JPEG, WebP) and read its dimensions with Pillow.

The dimensions are read from the header first, so an oversized image is refused before any
pixel is decoded; then the image is decoded completely, which is what catches truncation.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import EmptyUpload, UnsupportedMedia
from .formats import IMAGE_FORMATS, SUPPORTED_IMAGES, ImageInfo
from .sniff import sniff_file

MAX_COVER_SIDE = 4096
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}


def probe_image(
    path: str | Path,
    fmt: str | None = None,
    *,
    max_width: int = MAX_COVER_SIDE,
    max_height: int = MAX_COVER_SIDE,
) -> ImageInfo:
    """Check that `path` is a complete PNG/JPEG/WebP image within the maximum dimensions.

    Raises `EmptyUpload` (400) or `UnsupportedMedia` (415).
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmptyUpload("the file is empty (0 bytes)")
    if fmt is None:
        sniffed = sniff_file(path)
        if not (sniffed.supported and sniffed.name in IMAGE_FORMATS):
            raise UnsupportedMedia(
                f"not a supported image: the bytes look like {sniffed.label}; "
                f"use {SUPPORTED_IMAGES}"
            )
        fmt = sniffed.name
    plugin, label = _PIL_FORMATS[fmt], _NAMES[fmt]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[plugin]) as image:
                width, height = image.size
                if width > max_width or height > max_height:
                    raise UnsupportedMedia(
                        f"the image is {width}×{height} pixels; "
                        f"the largest allowed is {max_width}×{max_height}"
                    )
                if width == 0 or height == 0:
                    raise UnsupportedMedia(f"corrupt {label}: the image has no pixels")
                image.verify()  # checksums (PNG chunk CRCs)
            with Image.open(path, formats=[plugin]) as image:
                image.load()  # decodes every pixel: a truncated file fails here
    except UnsupportedMedia:
        raise
    except UnidentifiedImageError as exc:
        raise UnsupportedMedia(f"corrupt {label}: the image header cannot be read") from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, EOFError...
        reason = str(exc).strip() or type(exc).__name__
        if "truncated" in reason.lower():
            reason = "truncated: " + reason
        raise UnsupportedMedia(f"corrupt {label}: {reason[:200]}") from exc
    info = IMAGE_FORMATS[fmt]
    return ImageInfo(format=fmt, media_type=info.media_type, width=width, height=height)

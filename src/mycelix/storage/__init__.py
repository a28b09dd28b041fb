"""Content store: content-addressed media (CIDv1), upload validation, range streaming.

- `cid`: CIDv1 (raw, sha2-256, base32) computation and validation.
- `store`: the `ContentStore` interface and `LocalContentStore` (a sharded directory).
- `sniff`, `audio`, `images`, `media`: recognise and validate uploads (415 with a reason).
- `waveform`: peaks for the player.
- `ranges`: HTTP Range/conditional request handling and a chunked file reader.
- `ingest`: the upload pipeline tying them together.
- `fixtures`: generators of real audio and images for tests and the demo.
"""

from .cid import cid_of, parse_cid
from .errors import (
    ContentNotFound,
    EmptyUpload,
    InvalidCid,
    RangeNotSatisfiable,
    StorageError,
    UnsupportedMedia,
    UploadTooLarge,
)
from .formats import AudioInfo, ImageInfo, Kind
from .ingest import DEFAULT_AUDIO_LIMIT, DEFAULT_COVER_LIMIT, IngestResult, ingest
from .ranges import ByteRange, ResponsePlan, iter_file_range, parse_range, plan_response
from .store import ContentStore, LocalContentStore, StagedObject, StoredObject

__all__ = [
    "DEFAULT_AUDIO_LIMIT",
    "DEFAULT_COVER_LIMIT",
    "AudioInfo",
    "ByteRange",
    "ContentNotFound",
    "ContentStore",
    "EmptyUpload",
    "ImageInfo",
    "IngestResult",
    "InvalidCid",
    "Kind",
    "LocalContentStore",
    "RangeNotSatisfiable",
    "ResponsePlan",
    "StagedObject",
    "StorageError",
    "StoredObject",
    "UnsupportedMedia",
    "UploadTooLarge",
    "cid_of",
    "ingest",
    "iter_file_range",
    "parse_cid",
    "parse_range",
    "plan_response",
]

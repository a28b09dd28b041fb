"""Uploads: stored files by content id. The same bytes uploaded twice are one row
(unique ``(cid, kind)``), which is what makes the content store deduplicating."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Upload
from ..sqlfuncs import insert_ignoring
from ..types import normalize_address, utcnow


class UploadRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, *, cid: str, kind: str, size: int, media_type: str, uploader: str | None = None
    ) -> tuple[Upload, bool]:
        """The upload row for (cid, kind) and whether this call created it. A repeat
        keeps the first uploader and metadata: the bytes are the same by definition."""
        if size < 0:
            raise ValueError("size must be non-negative")
        inserted = self.session.execute(
            insert_ignoring(self.session, Upload, "cid", "kind")
            .values(
                cid=cid,
                kind=kind,
                size=size,
                media_type=media_type,
                uploader=normalize_address(uploader) if uploader else None,
                created_at=utcnow(),
            )
            .returning(Upload.id)
        ).scalar_one_or_none()
        upload = self.get(cid, kind)
        assert upload is not None
        return upload, inserted is not None

    def get(self, cid: str, kind: str) -> Upload | None:
        return self.session.scalars(
            select(Upload).where(Upload.cid == cid, Upload.kind == kind)
        ).one_or_none()

    def by_uploader(self, uploader: str, *, limit: int = 100) -> list[Upload]:
        """An uploader's files, newest first."""
        stmt = (
            select(Upload)
            .where(Upload.uploader == normalize_address(uploader))
            .order_by(Upload.created_at.desc(), Upload.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

"""The artist's upload page (`/upload`): audio and cover with progress, metadata, then the
strategy wizard. The page is a shell; the catalogue of strategies, the previews and the
transactions come from the JSON API at run time, so a new strategy needs no change here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mycelix.api.deps import PlatformDep
from mycelix.schemas import Role
from mycelix.storage import DEFAULT_COVER_LIMIT
from mycelix.web.render import page

router = APIRouter(include_in_schema=False)

MiB = 1024 * 1024
# What the file pickers offer; the server sniffs the bytes and has the last word.
AUDIO_ACCEPT = "audio/*,.mp3,.flac,.wav,.ogg,.opus,.m4a,.aac"
COVER_ACCEPT = "image/png,image/jpeg,image/webp"


@router.get("/upload", response_class=HTMLResponse)
def upload(request: Request, p: PlatformDep) -> HTMLResponse:
    return page(
        request,
        "upload.html",
        title="Upload a song",
        roles=[role.value for role in Role],
        audio_limit_mb=p.settings.max_upload_mb,
        cover_limit_mb=DEFAULT_COVER_LIMIT // MiB,
        audio_accept=AUDIO_ACCEPT,
        cover_accept=COVER_ACCEPT,
    )

"""The listener's pages: a song (cover, player, strategy terms, split preview and the action its
strategy offers) and an artist (catalogue, patron tiers, auctions); and the HTML "not found"
page that browsers get for unknown songs, artists and paths.

The server renders what the catalogue knows (the song, its splits, the strategy's published
terms); live chain figures — price, tiers, auction, the viewer's standing — are read in the
page by `static/js/economy.js`, the one place that knows the economy's shape.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mycelix.api.deps import PlatformDep, ReadSession
from mycelix.api.errors import APIError
from mycelix.api.params import address_param, song_id_param
from mycelix.catalog.repositories import ArtistRepository, SongQuery, SongRepository, SongSort
from mycelix.catalog.types import to_checksum
from mycelix.platform import Platform
from mycelix.songs.schemas import song_detail, song_out
from mycelix.strategies.service import strategies
from mycelix.web.render import page

router = APIRouter(include_in_schema=False)

TERMS_KEY = "web_strategy_terms"
TERMS_SECONDS = 30.0
WAVE_BARS = 96  # bars drawn from the stored peaks: enough detail, a small page
CATALOGUE = 100  # songs listed on an artist page
# Paths whose 404s stay JSON: machines ask there, not browsers.
MACHINE_PREFIXES = ("/api/", "/rpc", "/static/", "/metrics", "/health", "/ready", "/openapi")


def wave_bars(peaks: list[float] | None, bars: int = WAVE_BARS) -> list[float]:
    """The loudest peak of each of `bars` equal slices, as a fraction 0.04..1 of the tallest
    (so silence still shows as a line and quiet songs fill the height)."""
    if not peaks:
        return []
    count = min(bars, len(peaks))
    step = len(peaks) / count
    slices = [
        max(peaks[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)])
        for i in range(count)
    ]
    top = max(slices) or 1.0
    return [round(max(v / top, 0.04), 3) for v in slices]


def not_found(request: Request, what: str) -> HTMLResponse:
    return page(request, "404.html", status=404, title="Not found", what=what)


def _catalogue(p: Platform) -> tuple[dict[str, dict[str, Any]], int]:
    """The strategies' published terms by name and the protocol fee, read from the chain at
    most every `TERMS_SECONDS`: a song page must not cost five chain calls (the page's script
    reads the live figures anyway)."""
    cached = p.extras.get(TERMS_KEY)
    now = time.monotonic()
    if cached is None or cached[0] < now:
        terms = {info.name: info.model_dump() for info in strategies(p)}
        cached = p.extras[TERMS_KEY] = (now + TERMS_SECONDS, terms, p.sdk.protocol_fee_bps())
    return cached[1], cached[2]


@router.get("/songs/{song_id}", response_class=HTMLResponse)
def song_page(song_id: str, request: Request, session: ReadSession, p: PlatformDep) -> Response:
    try:
        key = song_id_param(song_id)
    except APIError:
        return not_found(request, "song")
    song = SongRepository(session).get(key)
    if song is None or not song.title:
        return not_found(request, "song")
    detail = song_detail(song)
    terms, fee_bps = _catalogue(p)
    return page(
        request,
        "song.html",
        title=song.title,
        song=detail,
        bars=wave_bars(detail["waveform"]),  # type: ignore[arg-type]
        terms=terms.get(song.strategy_name or ""),
        fee_bps=fee_bps,
    )


@router.get("/artists/{address}", response_class=HTMLResponse)
def artist_page(address: str, request: Request, session: ReadSession) -> Response:
    try:
        key = address_param(address)
    except APIError:
        return not_found(request, "artist")
    artist = ArtistRepository(session).get(key)
    songs = SongRepository(session).list(
        SongQuery(artist=key, sort=SongSort.NEWEST), limit=CATALOGUE
    )
    if artist is None and not songs.items:
        return not_found(request, "artist")
    checksum = to_checksum(key)
    return page(
        request,
        "artist.html",
        title=artist.name if artist and artist.name else f"Artist {checksum[:10]}…",
        artist={
            "address": checksum,
            "name": artist.name if artist else "",
            "bio": (artist.bio or "") if artist else "",
        },
        songs=[song_out(s) for s in songs.items],
        more=songs.next_cursor is not None,
    )


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if any(path.startswith(prefix) for prefix in MACHINE_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def install_not_found(app: FastAPI) -> None:
    """Browsers asking for a page that does not exist get the site's 404 page; API clients
    keep the JSON error (the handler installed before this one)."""
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def html_not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 404 and request.method in ("GET", "HEAD") and _wants_html(request):
            return not_found(request, "page")
        assert previous is not None
        answer = previous(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    if previous is not None:
        app.add_exception_handler(StarletteHTTPException, html_not_found)

"""The catalogue pages: home (new and popular) and discover (search, genre and strategy filters,
sort, cursor paging). Server-rendered from the same repositories the JSON API reads, so a page
costs one query and no client round trip."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from mycelix.api.deps import ReadSession
from mycelix.catalog.repositories import SongQuery, SongRepository, SongSort
from mycelix.catalog.repositories.common import InvalidCursor
from mycelix.songs.schemas import song_out
from mycelix.web.render import page

router = APIRouter(include_in_schema=False)

SHELF = 8  # songs per home-page shelf
PAGE = 24  # songs per discover page


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: ReadSession) -> HTMLResponse:
    songs = SongRepository(session)
    newest = songs.list(SongQuery(sort=SongSort.NEWEST), limit=SHELF).items
    popular = songs.list(SongQuery(sort=SongSort.PLAYS), limit=SHELF).items
    return page(
        request,
        "home.html",
        title="Mycelix Music",
        newest=[song_out(s) for s in newest],
        popular=[song_out(s) for s in popular],
    )


@router.get("/discover", response_class=HTMLResponse)
def discover(
    request: Request,
    session: ReadSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    genre: Annotated[str | None, Query(max_length=64)] = None,
    strategy: Annotated[str | None, Query(max_length=64)] = None,
    sort: Annotated[str, Query(max_length=16)] = SongSort.NEWEST.value,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    songs = SongRepository(session)
    problem = None
    try:
        order = SongSort(sort)
    except ValueError:
        order, problem = SongSort.NEWEST, f"Unknown sort “{sort}”: showing the newest first."
    query = SongQuery(
        q=q.strip() or None if q else None,
        genre=genre.strip().lower() or None if genre else None,
        strategy=strategy or None,
        sort=order,
    )
    try:
        found = songs.list(query, limit=PAGE, cursor=cursor or None)
    except InvalidCursor:
        problem = "That page link has expired: showing the first page."
        found = songs.list(query, limit=PAGE)
    facets = songs.facets()
    return page(
        request,
        "discover.html",
        status=200,
        title="Discover",
        songs=[song_out(s) for s in found.items],
        next_cursor=found.next_cursor,
        q=q or "",
        genre=query.genre or "",
        strategy=query.strategy or "",
        sort=order.value,
        sorts=[s.value for s in SongSort],
        genres=sorted(facets.genres),
        strategies=sorted(facets.strategies),
        problem=problem,
        first_page=cursor is None,
    )

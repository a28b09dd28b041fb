"""The signed-in viewer's own pages: the artist dashboard (`/dashboard`: plays and earnings
over time, per song and per strategy, the claimable balance and withdraw, patrons, auction
results) and the listener library (`/library`: payments, listening history, CGC, patronages,
auction slots).

Both are rendered on the server for the address of the `mycelix_session` cookie, from the
catalogue's repositories plus a few chain reads (claimable credits and CGC are the chain's
figures, not the catalogue's), so a page load costs no client round trip; only wallet actions
(withdraw) run in the browser. Signed out, each page says how to connect and sign in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from mycelix.api.deps import OptionalAddress, PlatformDep, ReadSession
from mycelix.catalog.models import Auction, AuctionSlot, Song
from mycelix.catalog.repositories import (
    ArtistRepository,
    AuctionRepository,
    EarningsFilter,
    EarningsRepository,
    PatronRepository,
    PaymentRepository,
    PlayRepository,
    SongQuery,
    SongRepository,
)
from mycelix.catalog.types import normalize_address, to_checksum
from mycelix.chain.units import PaymentType
from mycelix.earnings.service import strategy_label as strategy_name
from mycelix.platform import Platform
from mycelix.strategies.service import chain_now
from mycelix.web import charts
from mycelix.web.render import flow, page, short, strategy_label

router = APIRouter(include_in_schema=False)

HISTORY = 50  # rows of payments and plays in the library
SONGS = 200  # an artist's songs on the dashboard (the repositories' page limit)
PRIVATE = {"Cache-Control": "private, no-store"}  # each viewer's own figures

T = TypeVar("T")


def _chain(read: Callable[[], T]) -> T | None:
    """A chain read for the page, or None when the chain cannot answer now (the page says
    so instead of failing: the catalogue's figures still stand)."""
    try:
        return read()
    except Exception:  # any RPC or transport failure means "unavailable now"
        return None


def _flow_text(wei: int) -> str:
    return f"{flow(wei)} FLOW"


def _plays_text(n: int) -> str:
    return f"{n} play" + ("" if n == 1 else "s")


def _title(song: Song | None, song_id: str) -> str:
    if song is not None and song.title:
        return song.title
    return f"Untitled song {short(song_id)}"


def _titles(session: Session, song_ids: set[str]) -> dict[str, str]:
    songs = SongRepository(session)
    return {sid: _title(songs.get(sid), sid) for sid in song_ids}


def _tier_names(p: Platform, artist: str) -> list[str]:
    tiers = _chain(lambda: p.sdk.tiers(to_checksum(artist)))
    return [t.name for t in tiers] if tiers else []


def _signed_out(request: Request, template: str, title: str) -> HTMLResponse:
    response = page(request, template, title=title, viewer=None)
    response.headers.update(PRIVATE)
    return response


# ---------------------------------------------------------------------------- dashboard


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, session: ReadSession, p: PlatformDep, viewer: OptionalAddress
) -> HTMLResponse:
    if viewer is None:
        return _signed_out(request, "dashboard.html", "Dashboard")
    me = to_checksum(viewer)
    songs = (
        SongRepository(session).list(SongQuery(artist=me, include_stubs=True), limit=SONGS).items
    )
    earnings = EarningsRepository(session)
    mine = EarningsFilter(recipient=me)
    revenue = earnings.by_song(EarningsFilter(artist=me))
    share = earnings.by_song(mine)
    titles = {s.song_id: _title(s, s.song_id) for s in songs}
    titles.update(_titles(session, set(share) - set(titles)))
    now = _chain(lambda: chain_now(p))
    today = now.date() if now else None

    plays_chart = charts.day_bars(
        "plays-by-day",
        "Plays per day",
        "Plays",
        charts.daily_points(
            ((d.day, d.value) for d in PlayRepository(session).by_day(artist=me)),
            _plays_text,
            today,
        ),
        "Plays of your songs per UTC day",
        _plays_text,
    )
    earnings_chart = charts.day_bars(
        "earnings-by-day",
        "Your earnings per day",
        "Earned (FLOW)",
        charts.daily_points(((d.day, d.value) for d in earnings.by_day(mine)), _flow_text, today),
        "FLOW credited to you per UTC day, your share of every payment's net",
        _flow_text,
    )
    song_chart = charts.ranked_bars(
        "earnings-by-song",
        "Your earnings per song",
        "Earned (FLOW)",
        [charts.Point(sid, titles[sid], v, _flow_text(v)) for sid, v in share.items()],
        "FLOW credited to you per song",
        _flow_text,
    )
    strategy_chart = charts.ranked_bars(
        "earnings-by-strategy",
        "Your earnings per strategy",
        "Earned (FLOW)",
        [
            charts.Point(name, strategy_label(name), v, _flow_text(v))
            for sid, v in earnings.by_strategy(mine).items()
            for name in [strategy_name(sid)]
        ],
        "FLOW credited to you per economic strategy",
        _flow_text,
    )
    plays_per_strategy: dict[str, int] = {}
    for s in songs:
        if s.strategy_name:
            plays_per_strategy[s.strategy_name] = (
                plays_per_strategy.get(s.strategy_name, 0) + s.play_count
            )
    song_plays_chart = charts.ranked_bars(
        "plays-by-song",
        "Plays per song",
        "Plays",
        [
            charts.Point(s.song_id, titles[s.song_id], s.play_count, _plays_text(s.play_count))
            for s in songs
        ],
        "Plays of each of your songs",
        _plays_text,
    )
    strategy_plays_chart = charts.ranked_bars(
        "plays-by-strategy",
        "Plays per strategy",
        "Plays",
        [
            charts.Point(name, strategy_label(name), n, _plays_text(n))
            for name, n in plays_per_strategy.items()
        ],
        "Plays of your songs per economic strategy",
        _plays_text,
    )
    song_rows = [
        {
            "song_id": s.song_id,
            "title": titles[s.song_id],
            "strategy": s.strategy_name,
            "plays": s.play_count,
            "revenue": revenue.get(s.song_id, 0),
            "share": share.get(s.song_id, 0),
            "listed": s.audio_cid is not None,
        }
        for s in songs
    ]
    claimable = _chain(lambda: p.sdk.credits(me))
    response = page(
        request,
        "dashboard.html",
        title="Dashboard",
        viewer=me,
        name=_artist_name(session, me),
        claimable=claimable,
        earned=earnings.total(mine),
        plays=sum(s.play_count for s in songs),
        charts=[plays_chart, earnings_chart],
        ranked=[song_plays_chart, song_chart, strategy_plays_chart, strategy_chart],
        songs=song_rows,
        patrons=_patrons(session, p, me, now),
        auctions=_auctions(session, songs, titles),
    )
    response.headers.update(PRIVATE)
    return response


def _artist_name(session: Session, address: str) -> str | None:
    artist = ArtistRepository(session).get(address)
    return artist.name if artist is not None and artist.name else None


def _patrons(
    session: Session, p: Platform, artist: str, now: datetime | None
) -> list[dict[str, Any]]:
    rows = PatronRepository(session).of_artist(artist, limit=500)
    tiers = _tier_names(p, artist) if rows else []
    return [
        {
            "patron": to_checksum(r.patron),
            "tier": tiers[r.tier] if r.tier < len(tiers) else f"Tier {r.tier + 1}",
            "level": r.level,
            "status": r.status,
            "started_at": r.started_at,
            "access_until": r.access_until,
            "active": now is not None and r.access_until >= now,
        }
        for r in rows
    ]


def _auctions(session: Session, songs: list[Song], titles: dict[str, str]) -> list[dict[str, Any]]:
    repo = AuctionRepository(session)
    rows: list[dict[str, Any]] = []
    for song in songs:
        for a in repo.of_song(song.song_id):
            rows.append(
                {
                    "song_id": song.song_id,
                    "title": titles[song.song_id],
                    "number": a.number,
                    "slots": a.slots,
                    "sold": a.sold,
                    "revenue": a.revenue,
                    "clearing_price": a.clearing_price,
                    "floor_price": a.floor_price,
                    "start_price": a.start_price,
                    "live": a.live,
                    "end_time": a.ended_at or a.end_time,
                }
            )
    rows.sort(key=lambda r: r["end_time"], reverse=True)
    return rows


# ---------------------------------------------------------------------------- library


@router.get("/library", response_class=HTMLResponse)
def library(
    request: Request, session: ReadSession, p: PlatformDep, viewer: OptionalAddress
) -> HTMLResponse:
    if viewer is None:
        return _signed_out(request, "library.html", "Library")
    me = to_checksum(viewer)
    payments = PaymentRepository(session).history(payer=me, limit=HISTORY).items
    plays = PlayRepository(session).recent(listener=me, limit=HISTORY)
    titles = _titles(session, {x.song_id for x in payments} | {x.song_id for x in plays})
    spent = sum(x.amount for x in payments)
    response = page(
        request,
        "library.html",
        title="Library",
        viewer=me,
        cgc=_chain(lambda: p.sdk.cgc_balance(me)),
        spent=spent,
        complete=len(payments) < HISTORY,
        payments=[
            {
                "song_id": x.song_id,
                "title": titles[x.song_id],
                "strategy": strategy_name(x.strategy_id),
                "kind": _payment_kind(x.payment_type),
                "amount": x.amount,
                "paid_at": x.paid_at,
                "tx_hash": x.tx_hash,
            }
            for x in payments
        ],
        plays=[
            {
                "song_id": x.song_id,
                "title": titles[x.song_id],
                "played_at": x.played_at,
                "paid": x.payment_id is not None,
            }
            for x in plays
        ],
        patronages=_patronages(session, p, me),
        slots=_slots(session, me),
    )
    response.headers.update(PRIVATE)
    return response


def _payment_kind(code: int) -> str:
    try:
        return PaymentType(code).name.capitalize()
    except ValueError:
        return f"Type {code}"


def _patronages(session: Session, p: Platform, patron: str) -> list[dict[str, Any]]:
    rows = PatronRepository(session).of_patron(patron)
    now = _chain(lambda: chain_now(p)) if rows else None
    artists = ArtistRepository(session)
    out = []
    for r in rows:
        tiers = _tier_names(p, r.artist)
        artist = artists.get(r.artist)
        out.append(
            {
                "artist": to_checksum(r.artist),
                "name": artist.name if artist is not None and artist.name else None,
                "tier": tiers[r.tier] if r.tier < len(tiers) else f"Tier {r.tier + 1}",
                "status": r.status,
                "paid_until": r.paid_until,
                "access_until": r.access_until,
                "active": now is not None and r.access_until >= now,
            }
        )
    return out


def _slots(session: Session, buyer: str) -> list[dict[str, Any]]:
    """The auction slots `buyer` bought (each one is permanent access to its song)."""
    stmt = (
        select(AuctionSlot, Auction, Song)
        .join(Auction, Auction.id == AuctionSlot.auction_id)
        .join(Song, Song.song_id == Auction.song_id)
        .where(AuctionSlot.buyer == normalize_address(buyer))
        .order_by(AuctionSlot.purchased_at.desc(), AuctionSlot.id.desc())
    )
    return [
        {
            "song_id": song.song_id,
            "title": _title(song, song.song_id),
            "auction": auction.number,
            "slot": slot.slot,
            "price": slot.price,
            "purchased_at": slot.purchased_at,
        }
        for slot, auction, song in session.execute(stmt).all()
    ]

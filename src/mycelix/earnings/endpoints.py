"""`GET /api/earnings` (sums of credited earnings, filtered and grouped; JSON or CSV),
`GET /api/plays` and `GET /api/payments` (cursor-paged histories).

Everything here is derived from public chain events by the indexer, so it is readable
without sign-in. Earnings are what was *credited* (each recipient's share of a payment's
net, after the protocol fee), never payments summed: collaborators' splits are exact.
Times are UTC; a time without a zone is taken as UTC; ranges are `since <= t < until`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mycelix.api.deps import ReadSession, rate_limit
from mycelix.api.errors import APIError
from mycelix.api.params import UtcTime
from mycelix.catalog.repositories import EarningsFilter, PaymentRepository
from mycelix.catalog.types import to_checksum
from mycelix.chain.units import PaymentType
from mycelix.earnings import service
from mycelix.earnings.service import Group
from mycelix.schemas import Address, Amount, SongId, StrategyName
from mycelix.strategies.ids import strategy_id

router = APIRouter(tags=["earnings"], dependencies=[Depends(rate_limit("read", 600))])

CSV_TYPE = "text/csv; charset=utf-8"


class EarningsRowOut(BaseModel):
    key: str = Field(description="Song id, strategy name, UTC day, address, or 'total'.")
    label: str | None = Field(description="Song title or artist name, where known.")
    amount: Amount


class EarningsOut(BaseModel):
    group: Group
    filters: dict[str, object]
    total: Amount
    rows: list[EarningsRowOut]


class PlayOut(BaseModel):
    song_id: str
    listener: str | None
    played_at: datetime
    paid: bool = Field(description="Recorded from an on-chain payment (free plays included).")
    block_number: int | None


class PlayPage(BaseModel):
    items: list[PlayOut]
    next_cursor: str | None


class PaymentOut(BaseModel):
    song_id: str
    payer: str
    strategy: str
    payment_type: str
    amount: Amount = Field(description="What the payer was charged.")
    fee: Amount = Field(description="Protocol fee, credited to the treasury.")
    net: Amount = Field(description="Split among the song's recipients.")
    paid_at: datetime
    block_number: int
    tx_hash: str
    log_index: int


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _range(since: datetime | None, until: datetime | None) -> tuple[datetime | None, ...]:
    since, until = _aware(since), _aware(until)
    if since is not None and until is not None and since >= until:
        raise APIError(422, "`since` must be before `until`", "invalid_request")
    return since, until


def _wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


Since = Annotated[UtcTime | None, Query(description="From this time (inclusive), ISO 8601.")]
Until = Annotated[UtcTime | None, Query(description="Up to this time (exclusive), ISO 8601.")]


@router.get(
    "/api/earnings",
    response_model=EarningsOut,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV on request"}},
)
def earnings(
    request: Request,
    session: ReadSession,
    artist: Annotated[Address | None, Query(description="Income of this artist's songs.")] = None,
    recipient: Annotated[Address | None, Query(description="Credited to this address.")] = None,
    song: Annotated[SongId | None, Query(description="One song.")] = None,
    strategy: Annotated[StrategyName | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    group: Group = Group.TOTAL,
    kind: Annotated[
        Literal["split", "fee", "all"],
        Query(description="split: recipients' shares (default); fee: the treasury's; all."),
    ] = "split",
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="csv for a download (also with `Accept: text/csv`)."),
    ] = None,
) -> Response | EarningsOut:
    """Earnings summed exactly, optionally grouped by song, strategy, UTC day or recipient.
    Amounts are wei strings plus exact FLOW decimal strings."""
    start, end = _range(since, until)
    f = EarningsFilter(
        recipient=recipient,
        artist=artist,
        song_id=song,
        strategy_id=strategy_id(strategy) if strategy else None,
        since=start,
        until=end,
        kind=None if kind == "all" else kind,
    )
    total, rows = service.report(session, f, group)
    if _wants_csv(request, format):
        return Response(
            service.to_csv(group, rows),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="earnings-{group.value}.csv"'},
        )
    return EarningsOut(
        group=group,
        filters=service.filters_echo(f, strategy),
        total=Amount.of(total),
        rows=[EarningsRowOut(key=r.key, label=r.label, amount=Amount.of(r.amount)) for r in rows],
    )


@router.get("/api/plays", responses={400: {"description": "Invalid cursor"}})
def plays(
    session: ReadSession,
    song: Annotated[SongId | None, Query()] = None,
    listener: Annotated[Address | None, Query()] = None,
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> PlayPage:
    """Plays newest first. Pass `next_cursor` back as `cursor` for the next page (a cursor
    this listing did not make is a 400)."""
    page = service.plays_page(
        session, song_id=song, listener=listener, since=_aware(since), limit=limit, cursor=cursor
    )
    return PlayPage(
        items=[
            PlayOut(
                song_id=play.song_id,
                listener=to_checksum(play.listener) if play.listener else None,
                played_at=play.played_at,
                paid=play.payment_id is not None,
                block_number=play.block_number,
            )
            for play in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/api/payments", responses={400: {"description": "Invalid cursor"}})
def payments(
    session: ReadSession,
    payer: Annotated[Address | None, Query(description="A listener's history.")] = None,
    song: Annotated[SongId | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> PaymentPage:
    """Payments newest first (chain order). Pass `next_cursor` back as `cursor`."""
    page = PaymentRepository(session).history(payer=payer, song_id=song, limit=limit, cursor=cursor)
    return PaymentPage(
        items=[
            PaymentOut(
                song_id=pay.song_id,
                payer=to_checksum(pay.payer),
                strategy=service.strategy_label(pay.strategy_id),
                payment_type=_type_name(pay.payment_type),
                amount=Amount.of(pay.amount),
                fee=Amount.of(pay.fee),
                net=Amount.of(pay.amount - pay.fee),
                paid_at=pay.paid_at,
                block_number=pay.block_number,
                tx_hash=pay.tx_hash,
                log_index=pay.log_index,
            )
            for pay in page.items
        ],
        next_cursor=page.next_cursor,
    )


def _type_name(code: int) -> str:
    try:
        return PaymentType(code).name.lower()
    except ValueError:
        return f"type-{code}"

"""Strategy reads: `GET /api/strategies` (what each strategy charges and how it is configured),
`POST /api/strategies/preview-splits`, `POST /api/strategies/{name}/calculator` (the upload
wizard's earnings calculator), a song's live economics (`GET /api/songs/{id}/economy`), and the
routes each strategy folder adds (`Strategy.api_router`: an artist's patrons, a song's auction).

Chain figures are read live through the SDK. Everything here is public chain data, so sign-in is
optional: a signed-in listener also gets their own standing (under the song's strategy, and
whether the chain lets them play it now).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from mycelix.api.deps import OptionalAddress, PlatformDep, rate_limit
from mycelix.schemas import SongId
from mycelix.strategies import registry, service
from mycelix.strategies.schemas import (
    CalculatorIn,
    CalculatorOut,
    EconomyOut,
    PreviewIn,
    PreviewOut,
    StrategiesOut,
)

router = APIRouter(tags=["strategies"], dependencies=[Depends(rate_limit("read", 600))])

SongPath = Annotated[SongId, Path(description="The song's bytes32 id.")]


@router.get("/api/strategies")
def list_strategies(p: PlatformDep) -> StrategiesOut:
    """Every strategy: what it charges per payment type and its configuration fields with
    the contracts' bounds and defaults."""
    return StrategiesOut(
        protocol_fee_bps=p.sdk.protocol_fee_bps(), strategies=service.strategies(p)
    )


@router.post("/api/strategies/preview-splits", responses={404: {}, 422: {}})
def preview_splits(body: PreviewIn, p: PlatformDep) -> PreviewOut:
    """How the router would divide a charge of `amount`: the protocol fee (read from the
    chain) and each recipient's exact credit, for proposed splits or a registered song's."""
    if body.song_id is not None:
        recipients = service.chain_recipients(p, body.song_id)
    else:
        assert body.splits is not None
        recipients = [service.Recipient(s.recipient, s.bps, s.role.code) for s in body.splits]
    return service.preview(body.amount, p.sdk.protocol_fee_bps(), recipients)


@router.post("/api/strategies/{name}/calculator", responses={404: {}, 422: {}})
def calculator(name: str, body: CalculatorIn, p: PlatformDep) -> CalculatorOut:
    """Projected monthly gross, protocol fee, net and per-recipient income of a song under
    strategy `name`, from expected plays, listeners, tips, patrons per tier or auction
    slots. The assumptions behind the figures are listed in the answer."""
    service.require_strategy(name)
    fee_bps = p.sdk.protocol_fee_bps() if body.fee_bps is None else body.fee_bps
    if body.song_id is not None:
        recipients = service.chain_recipients(p, body.song_id)
    elif body.splits is not None:
        recipients = [service.Recipient(s.label, s.bps, s.role.code) for s in body.splits]
    else:
        recipients = [service.Recipient("artist", 10_000, 0)]
    return service.calculate(name, body, fee_bps, recipients)


@router.get("/api/songs/{song_id}/economy", responses={404: {}})
def song_economy(song_id: SongPath, p: PlatformDep, viewer: OptionalAddress) -> EconomyOut:
    """The song's live on-chain economics under its current strategy: price, gift
    configuration, patron tiers or auction, its splits and the protocol fee; with sign-in,
    also the viewer's own standing and whether they may stream it now without paying."""
    return service.economy(p, song_id, viewer)


# Routes a strategy adds for what only it has (an artist's patrons, a song's auctions).
for _strategy in registry.all_strategies():
    if (_extra := _strategy.api_router()) is not None:
        router.include_router(_extra)

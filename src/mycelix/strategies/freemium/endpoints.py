"""Freemium's configuration transaction: `POST /api/tx/configure_freemium`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from mycelix.api.deps import CurrentAddress, PlatformDep, rate_limit
from mycelix.schemas import WEI_DOC, PositiveWei, flow_text
from mycelix.strategies.configure import configure_tx
from mycelix.transactions.schemas import SongBody, WalletTx

from .strategy import MAX_FREE_PLAYS, STRATEGY

router = APIRouter(tags=["transactions"], dependencies=[Depends(rate_limit("tx", 300))])


class ConfigureFreemiumIn(SongBody):
    free_plays: int = Field(ge=0, le=MAX_FREE_PLAYS, description="Free plays per listener.")
    price: PositiveWei = Field(description="Price of every later play. " + WEI_DOC)


@router.post("/api/tx/configure_freemium", responses={403: {}, 404: {}, 409: {}})
def configure_freemium(body: ConfigureFreemiumIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Set a freemium song's free plays per listener and the price of later plays (artist
    only; bounds are the contract's, a price above it answers 409 with its reason)."""
    return configure_tx(
        p,
        who,
        body.song_id,
        STRATEGY.contract,
        "configure",
        [body.free_plays, body.price],
        action="configure_freemium",
        description=f"{body.free_plays} free plays, then {flow_text(body.price)} FLOW a play",
    )

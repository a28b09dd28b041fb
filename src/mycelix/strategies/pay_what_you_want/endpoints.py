"""Pay what you want's configuration transaction: `POST /api/tx/configure_pay_what_you_want`.
A play at the listener's amount is `POST /api/tx/stream` with `max_price` set to it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from mycelix.api.deps import CurrentAddress, PlatformDep, rate_limit
from mycelix.schemas import WEI_DOC, PositiveWei, Wei, flow_text
from mycelix.strategies.configure import configure_tx
from mycelix.transactions.schemas import SongBody, WalletTx

from .strategy import STRATEGY

router = APIRouter(tags=["transactions"], dependencies=[Depends(rate_limit("tx", 300))])


class ConfigurePwywIn(SongBody):
    minimum: Wei = Field(description="The least a play may pay (0: free plays). " + WEI_DOC)
    suggested: PositiveWei = Field(description="What clients suggest. " + WEI_DOC)


@router.post("/api/tx/configure_pay_what_you_want", responses={403: {}, 404: {}, 409: {}})
def configure_pay_what_you_want(
    body: ConfigurePwywIn, p: PlatformDep, who: CurrentAddress
) -> WalletTx:
    """Set a pay-what-you-want song's minimum and suggested amount (artist only; bounds are
    the contract's, answered 409 with its reason)."""
    return configure_tx(
        p,
        who,
        body.song_id,
        STRATEGY.contract,
        "configure",
        [body.minimum, body.suggested],
        action="configure_pay_what_you_want",
        description=f"minimum {flow_text(body.minimum)} FLOW, suggested "
        f"{flow_text(body.suggested)} FLOW",
    )

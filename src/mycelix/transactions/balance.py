"""`POST /api/tx/deposit`: top up the signed-in listener's balance in the router, from which
their signed play vouchers are settled (docs/api.md, "Listener balances and vouchers").

The prepared call is `deposit(amount)`; its `amount` tells the wallet to approve the router for
it first, as for any payment. (A wallet that signs EIP-2612 permits can send
`deposit_with_permit` in one transaction instead; the SDK does.)
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from mycelix.api.deps import CurrentAddress, PlatformDep
from mycelix.errors import Conflict
from mycelix.schemas import WEI_DOC, PositiveWei, flow_text
from mycelix.transactions.prepare import encode
from mycelix.transactions.schemas import Body, WalletTx

router = APIRouter()


class DepositIn(Body):
    amount: PositiveWei = Field(description="FLOW to move into the router balance. " + WEI_DOC)


@router.post("/deposit")
def deposit(body: DepositIn, p: PlatformDep, who: CurrentAddress) -> WalletTx:
    """Deposit `amount` FLOW into the signed-in address's listener balance in the router
    (approve the router for `amount` first: `GET /api/tx/approval`). 409
    `insufficient_balance` when the wallet holds less FLOW than that."""
    held = p.sdk.flow_balance(who)
    if held < body.amount:
        raise Conflict(
            f"the wallet holds {held} wei of FLOW, less than the {body.amount} wei to deposit",
            "insufficient_balance",
        )
    tx = encode(
        p,
        "EconomicStrategyRouter",
        "deposit",
        [body.amount],
        action="deposit",
        description=f"deposit {flow_text(body.amount)} FLOW into your listener balance",
        sender=who,
    )
    return WalletTx.of(tx, amount=body.amount)

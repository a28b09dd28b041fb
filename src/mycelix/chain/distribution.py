"""The router's money arithmetic, in Python: the one copy the indexer, the API's previews and
the demo's ledger use.

For a charge `a` the treasury is credited `a * fee_bps // 10000`. For the net `n` and splits
`(r_i, b_i)` in router order, every recipient but the first gets `n * b_i // 10000` and the
first gets the rest (the rounding dust), so the shares always sum to `n`
(`EconomicStrategyRouter._distribute`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mycelix.chain.units import BPS


def protocol_fee(amount: int, fee_bps: int) -> int:
    """The treasury's credit for a charge of `amount`."""
    return amount * fee_bps // BPS


def split_net(net: int, splits: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Each recipient's credit of `net`, in split order; the first takes the dust."""
    others = [(recipient, net * bps // BPS) for recipient, bps in splits[1:]]
    return [(splits[0][0], net - sum(amount for _, amount in others)), *others]

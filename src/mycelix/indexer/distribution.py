"""The router's distribution rule, in Python.

For a net amount ``n`` and splits ``(r_i, b_i)``, every recipient but the first gets
``n * b_i // 10000`` and the first gets the rest, so the shares always sum to ``n``; a song
without configured splits credits 100 % to its artist of record at the time of the
payment (EconomicStrategyRouter's docstring; `_distribute`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mycelix.catalog.repositories import Share
from mycelix.chain.distribution import split_net
from mycelix.chain.units import BPS


def distribute(net: int, splits: Sequence[tuple[str, int]], artist: str) -> list[Share]:
    """The credits of a payment's `net` among `splits` (recipient, bps) in router order,
    or all of it to `artist` when there are no splits."""
    if net < 0:
        raise ValueError(f"negative net amount {net}")
    if not splits:
        return [Share(artist, net)]
    if sum(bps for _, bps in splits) != BPS:
        raise ValueError(f"split bps sum to {sum(bps for _, bps in splits)}, not {BPS}")
    return [Share(recipient, amount) for recipient, amount in split_net(net, splits)]

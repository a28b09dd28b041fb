"""Token units, basis points, payment types and time constants shared with the contracts."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum

DECIMALS = 18
ONE = 10**DECIMALS
BPS = 10_000
HOUR = 3_600
DAY = 86_400


class PaymentType(IntEnum):
    """Router payment types; the ordinals are part of the contracts' ABI."""

    STREAM = 0
    DOWNLOAD = 1
    TIP = 2
    PATRONAGE = 3
    ACCESS = 4


def to_wei(flow: Decimal | int | str) -> int:
    """FLOW (a Decimal, int or decimal string, never a float) to integer token units."""
    if isinstance(flow, float):
        raise TypeError("amounts must be Decimal, int or str, not float")
    value = Decimal(flow) * ONE
    if value != value.to_integral_value():
        raise ValueError(f"{flow} FLOW has more than {DECIMALS} decimals")
    return int(value)


def from_wei(units: int) -> Decimal:
    """Integer token units to FLOW as an exact Decimal."""
    return Decimal(units) / ONE

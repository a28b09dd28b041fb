"""Dutch auction: limited access slots at a falling price (`DutchAuction.vy`)."""

from .strategy import STRATEGY

__all__ = ["STRATEGY"]

"""Pay what you want: the listener chooses what a play is worth, at or above the artist's
minimum (`PayWhatYouWant.vy`). Built only through the strategy seam (see docs/strategies.md)."""

from .strategy import STRATEGY

__all__ = ["STRATEGY"]

"""Pay per stream: every play is paid at the song's price (`PayPerStream.vy`)."""

from .strategy import STRATEGY

__all__ = ["STRATEGY"]

"""Freemium: each listener's first plays of a song are free, later ones paid (`Freemium.vy`).
Built only through the strategy seam: this folder and nothing else (see docs/strategies.md)."""

from .strategy import STRATEGY

__all__ = ["STRATEGY"]

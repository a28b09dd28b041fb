"""Patronage: monthly tiers per artist with loyalty discounts and patron-only songs
(`Patronage.vy`)."""

from .strategy import STRATEGY

__all__ = ["STRATEGY"]

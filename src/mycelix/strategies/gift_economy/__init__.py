"""Gift economy: free listening that earns listeners CGC gift credits (`GiftEconomy.vy`)."""

from .strategy import STRATEGY

__all__ = ["STRATEGY"]

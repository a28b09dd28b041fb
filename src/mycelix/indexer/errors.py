"""Errors the indexer raises on purpose."""

from __future__ import annotations

from mycelix.chain.errors import MycelixError


class IndexerError(MycelixError):
    """The indexer cannot apply the chain to the catalogue (it stops rather than skip)."""


class IndexerLocked(IndexerError):
    """Another indexer holds the leader lock of this catalogue."""


class ReorgTooDeep(IndexerError):
    """No block the indexer remembers is still on the chain: rebuild the catalogue."""


class ChainMoved(IndexerError):
    """The chain changed while a batch was being read; the batch is retried."""

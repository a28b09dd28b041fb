"""Every SQL statement of the catalogue, one module per aggregate.

Each repository wraps a `Session` it does not own: it reads, writes, and at most
flushes; the request or task boundary commits (`Catalog.write()`).
"""

from .analytics import AnalyticsRepository
from .artists import ArtistRepository
from .auctions import AuctionCreatedIn, AuctionRepository
from .chain import ChainStateRepository, Checkpoint
from .common import (
    AlreadyExists,
    CatalogError,
    ChainRef,
    DayCount,
    InvalidCursor,
    NotFound,
    Page,
)
from .earnings import EarningsFilter, EarningsRepository
from .patrons import PatronEventIn, PatronRepository
from .payments import PaymentEvent, PaymentRepository, Share
from .plays import PlayRepository
from .songs import NewSong, SongFacets, SongQuery, SongRepository, SongSort, SplitSpec
from .stats import Figures, StatsRepository, StrategyRevenue
from .uploads import UploadRepository

__all__ = [
    "AlreadyExists",
    "AnalyticsRepository",
    "ArtistRepository",
    "AuctionCreatedIn",
    "AuctionRepository",
    "CatalogError",
    "ChainRef",
    "ChainStateRepository",
    "Checkpoint",
    "DayCount",
    "EarningsFilter",
    "EarningsRepository",
    "Figures",
    "InvalidCursor",
    "NewSong",
    "NotFound",
    "Page",
    "PatronEventIn",
    "PatronRepository",
    "PaymentEvent",
    "PaymentRepository",
    "PlayRepository",
    "Share",
    "SongFacets",
    "SongQuery",
    "SongRepository",
    "SongSort",
    "SplitSpec",
    "StatsRepository",
    "StrategyRevenue",
    "UploadRepository",
]

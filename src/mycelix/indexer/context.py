"""What a handler gets: the batch's session and repositories, the chain reader, the router
settings as of the event, the payments noted for one bulk write (payments.py), and two
buffers that only take effect once the batch commits (metric updates, and the songs whose
in-place fields changed, for reorg handling)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from mycelix.catalog.repositories import (
    ArtistRepository,
    AuctionRepository,
    ChainRef,
    PatronRepository,
    PaymentRepository,
    PlayRepository,
    SongRepository,
)
from mycelix.ops.metrics import Metrics
from mycelix.sdk.types import ChainEvent

from .errors import IndexerError
from .payments import PendingPayments
from .reader import ChainReader, Header
from .store import RouterState

MetricUpdate = Callable[[Metrics], None]
HandlerFn = Callable[["IndexContext", ChainEvent], None]

_INDEPENDENT: set[HandlerFn] = set()


def independent(handler: HandlerFn) -> HandlerFn:
    """Mark a handler that neither reads nor writes payments, credits, plays, songs or
    splits (e.g. one that only counts a metric). The indexer runs it without first writing
    the batch's pending payments (payments.py), so an event logged beside every payment (a
    gift-economy stream's `ListenRewarded`) does not cut the batch's payments into runs of
    one."""
    _INDEPENDENT.add(handler)
    return handler


def is_independent(handler: HandlerFn) -> bool:
    return handler in _INDEPENDENT


@dataclass
class Effects:
    """Consequences of a batch that must wait for its commit."""

    metrics: list[MetricUpdate] = field(default_factory=list)
    # block number -> songs whose artist / strategy / patron-only changed in that block
    touched: dict[int, set[str]] = field(default_factory=dict)


class IndexContext:
    def __init__(
        self,
        session: Session,
        reader: ChainReader,
        router: RouterState,
        headers: Mapping[int, Header],
    ) -> None:
        self.session = session
        self.reader = reader
        self.router = router
        self.router_changed = False
        self.headers = headers
        self.effects = Effects()
        self.artists = ArtistRepository(session)
        self.songs = SongRepository(session)
        self.payments = PaymentRepository(session)
        self.plays = PlayRepository(session)
        self.patrons = PatronRepository(session)
        self.auctions = AuctionRepository(session)
        self.pending = PendingPayments()

    def ref(self, event: ChainEvent) -> ChainRef:
        header = self.headers.get(event.block_number)
        if header is None:
            raise IndexerError(f"no header fetched for block {event.block_number}")
        return ChainRef(
            block_number=event.block_number,
            block_hash=event.block_hash,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
            block_time=header.time,
        )

    def count(self, update: MetricUpdate) -> None:
        """Apply `update` to the metrics once (and only if) the batch commits."""
        self.effects.metrics.append(update)

    def touch(self, event: ChainEvent, song_id: str) -> None:
        """Note that `song_id`'s in-place fields changed at this event's block."""
        self.effects.touched.setdefault(event.block_number, set()).add(song_id)

"""The chain indexer: contract events → catalogue rows, with a checkpoint, a confirmation
depth, reorg handling and a leader lock.

Batches. Confirmed blocks (``head - confirmations``) after the checkpoint are read in
batches of at most `batch_blocks`. A batch is applied in ONE catalogue transaction: the
rows its events produce (`handlers.HANDLERS`, in chain order; payments are written in bulk,
payments.py, before any other handler runs and at the end), the hashes of the blocks it
read (each block with events and the batch's last block), the router settings followed so
far, and the checkpoint moved to its last block. A crash anywhere leaves the previous checkpoint
with exactly the rows it covers; the rows are keyed by (tx hash, log index), so
re-applying blocks adds nothing either way. Metrics move only after the commit.

Consistency of a batch. The last block's header is read before and after the logs, the
first block's header in between: the batch is applied only if the last block did not
change, every log's block hash is the header's, and the first block's parent is the
checkpoint block. Otherwise the chain moved under the batch; it is dropped and retried
(and the reorg check below then sees what happened).

Reorgs. Before each batch the chain's hash of the checkpoint block is compared with the
stored one. On a mismatch the indexer binary-searches its remembered blocks for the
newest one the chain still has (hash chains make "still on the chain" monotone), reads
from the chain at that ancestor block what a rollback cannot restore (router settings set
above it; artist, strategy and patron-only flag of songs changed above it), and then, in
one transaction, `rollback_to` it, writes those values back and deletes stub songs whose
registration was undone. Then it indexes forward again. The songs to re-read are the
ones this process saw change above the ancestor; when the ancestor is older than what this
process indexed, every song registered by then is re-read.

Leader lock. `run_once`/`run_forever` take the catalogue's leader lock (lock.py) first and
keep it until `close()`; a second indexer gets `IndexerLocked`, or with `wait_for_lock`
waits (`run_forever` stands by until the leader stops).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

import requests
from sqlalchemy.exc import OperationalError
from web3 import Web3
from web3.exceptions import ProviderConnectionError, Web3Exception

from mycelix.catalog import Catalog
from mycelix.catalog.repositories import ChainStateRepository, Checkpoint
from mycelix.chain.errors import ChainConnectionError
from mycelix.chain.manifest import Manifest
from mycelix.ops.metrics import Metrics
from mycelix.sdk.events import EventDecoder
from mycelix.sdk.types import ChainEvent

from . import store
from .context import IndexContext, is_independent
from .errors import ChainMoved, IndexerError, IndexerLocked, ReorgTooDeep
from .handlers import DEFERRED, HANDLERS, IGNORED, WATCHED
from .lock import LeaderLock
from .reader import ZERO_HASH, ChainReader, Header, SongFields

log = logging.getLogger(__name__)

CHECKPOINT = "indexer"
DEFAULT_BATCH_BLOCKS = 500
# Block hashes remembered below the checkpoint: the deepest reorg the indexer undoes.
DEFAULT_KEEP_BLOCKS = 10_000
# Times a batch is retried when the chain moves while it is read.
MAX_RETRIES = 5
MAX_BACKOFF_S = 60.0

# Failures worth retrying: the node or the database is briefly unavailable, or the chain
# moved. Anything else is a bug or an inconsistency, and stops the indexer loudly.
TRANSIENT: tuple[type[BaseException], ...] = (
    ChainMoved,
    ChainConnectionError,
    ProviderConnectionError,
    requests.exceptions.RequestException,
    ConnectionError,
    TimeoutError,
    OperationalError,
)

Progress = Callable[[int, int], None]

# Events after which song rows (registration, artist, strategy, splits, patron-only flag,
# play count) may have changed: caches of song reads should be dropped.
SONG_EVENTS = frozenset(
    {
        "SongRegistered",
        "SongStrategyChanged",
        "SongTransferred",
        "SplitsConfigured",
        "PatronOnlySet",
        "PriceSet",
        "Payment",
    }
)


@dataclass(frozen=True)
class Committed:
    """What one committed unit of work changed: a batch of blocks, or a reorg rollback
    (`rolled_back`, blocks above `last_block` undone)."""

    first_block: int
    last_block: int
    events: int
    songs_changed: bool
    rolled_back: bool = False


OnCommit = Callable[[Committed], None]


@dataclass(frozen=True)
class Status:
    checkpoint: int | None
    chain_head: int
    safe_head: int

    @property
    def lag(self) -> int:
        return self.chain_head - (self.checkpoint if self.checkpoint is not None else 0)


class Indexer:
    """Indexes one deployment's events into one catalogue (see module docstring)."""

    def __init__(
        self,
        catalog: Catalog,
        w3: Web3,
        manifest: Manifest,
        metrics: Metrics | None = None,
        *,
        confirmations: int = 0,
        batch_blocks: int = DEFAULT_BATCH_BLOCKS,
        keep_blocks: int = DEFAULT_KEEP_BLOCKS,
        name: str = CHECKPOINT,
        wait_for_lock: bool = False,
        on_commit: OnCommit | None = None,
    ) -> None:
        """`on_commit` is called after every commit (e.g. to drop song caches: the API's
        `songs_changed`); an exception it raises is logged, not propagated."""
        if confirmations < 0:
            raise ValueError("confirmations must be >= 0")
        if batch_blocks < 1:
            raise ValueError("batch_blocks must be >= 1")
        self.catalog = catalog
        self.manifest = manifest
        self.metrics = metrics if metrics is not None else Metrics()
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self.keep_blocks = keep_blocks
        self.name = name
        self.wait_for_lock = wait_for_lock
        self.on_commit = on_commit
        self.reader = ChainReader(w3, manifest)
        self.decoder = EventDecoder(w3, manifest)
        self.decoder.addresses = [manifest.addresses[c] for c in sorted(WATCHED)]
        self.lock = LeaderLock(catalog.url)
        # Songs whose in-place fields changed, by block, for blocks above `_journal_from`
        # (everything this process indexed); None until the first run.
        self._journal: dict[int, set[str]] = {}
        self._journal_from: int | None = None
        self._unknown: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ lifecycle

    def acquire(self, *, wait: bool | None = None, timeout: float | None = None) -> None:
        """Take the leader lock (see lock.py); `IndexerLocked` if another indexer has it."""
        self.lock.acquire(wait=self.wait_for_lock if wait is None else wait, timeout=timeout)

    def close(self) -> None:
        self.lock.release()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---------------------------------------------------------------------- state

    def checkpoint(self) -> Checkpoint | None:
        with self.catalog.read() as session:
            return ChainStateRepository(session).checkpoint(self.name)

    def status(self) -> Status:
        head = self.reader.head()
        checkpoint = self.checkpoint()
        return Status(
            checkpoint=checkpoint.block_number if checkpoint else None,
            chain_head=head,
            safe_head=head - self.confirmations,
        )

    # ----------------------------------------------------------------------- runs

    def run_once(self, *, max_batches: int | None = None, progress: Progress | None = None) -> int:
        """Index the confirmed blocks after the checkpoint (at most `max_batches`
        batches); returns how many events were applied. `progress(block, target)` is
        called after each batch."""
        self.acquire()
        applied = batches = retries = 0
        while max_batches is None or batches < max_batches:
            head = self.reader.head()
            self.metrics.chain_head.set(head)
            safe = head - self.confirmations
            self._undo_reorg()
            checkpoint = self.checkpoint()
            if self._journal_from is None:
                self._journal_from = (
                    checkpoint.block_number if checkpoint else self.manifest.deployment_block - 1
                )
            start = checkpoint.block_number + 1 if checkpoint else self.manifest.deployment_block
            if start > safe:
                self._gauges(head, checkpoint.block_number if checkpoint else None)
                break
            end = min(start + self.batch_blocks - 1, safe)
            try:
                applied += self._index_batch(start, end, checkpoint)
            except ChainMoved as exc:
                retries += 1
                if retries > MAX_RETRIES:
                    raise
                log.info("indexer: %s; retrying the batch", exc)
                continue
            batches += 1
            self._gauges(head, end)
            if progress is not None:
                progress(end, safe)
        return applied

    def run_forever(self, stop: threading.Event, poll_interval: float = 2.0) -> None:
        """Follow the chain until `stop` is set. Transient failures (node or database
        unreachable, chain moving) are logged and retried with backoff; anything else
        propagates, so a block that cannot be applied stops the indexer visibly instead of
        being skipped. With `wait_for_lock`, an indexer started while another one leads
        stands by (polling the lock) and takes over when the leader stops."""
        while self.wait_for_lock and not self.lock.held and not stop.is_set():
            try:
                self.acquire(wait=False)
            except IndexerLocked:
                stop.wait(poll_interval)
        backoff = poll_interval
        while not stop.is_set():
            try:
                self.run_once()
            except TRANSIENT as exc:
                log.warning("indexer: %s; retrying in %.1fs", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = poll_interval
            stop.wait(poll_interval)

    def wipe(self) -> None:
        """Forget everything indexed (chain-derived rows, block hashes, checkpoint, router
        settings; off-chain data stays), so the next run starts at the deployment block."""
        self.acquire()
        checkpoint = self.checkpoint()
        with self.catalog.write() as session:
            store.reset_patron_only(session)
            ChainStateRepository(session).rollback_to(-1, ZERO_HASH)
            store.delete_state(session, self.name)
            store.delete_orphan_stubs(session)
        self._journal.clear()
        self._journal_from = self.manifest.deployment_block - 1
        last = checkpoint.block_number if checkpoint else self._journal_from
        self._notify(Committed(self.manifest.deployment_block, last, 0, True, rolled_back=True))

    # -------------------------------------------------------------------- batches

    def _index_batch(self, start: int, end: int, checkpoint: Checkpoint | None) -> int:
        began = time.perf_counter()
        last = self.reader.header(end)
        first = self.reader.header(start)
        if last is None or first is None:
            raise ChainMoved(f"block {end} is gone")
        events = list(self.decoder.iterate(start, end))
        headers: dict[int, Header] = {start: first}
        wanted = sorted({e.block_number for e in events} - {start, end})
        for number, header in zip(wanted, self.reader.headers(wanted), strict=True):
            if header is None:
                raise ChainMoved(f"block {number} is gone")
            headers[number] = header
        if self.reader.header(end) != last:
            raise ChainMoved(f"block {end} changed while the batch was read")
        headers[end] = last
        self._check_batch(start, events, headers, checkpoint)

        applied: list[ChainEvent] = []
        with self.catalog.write() as session:
            self.lock.check()
            chain = ChainStateRepository(session)
            if chain.checkpoint(self.name) != checkpoint:
                raise IndexerError("the checkpoint moved under this indexer; is another running?")
            router = store.load_router_state(session, self.name)
            ctx = IndexContext(session, self.reader, router, headers)
            self._seed_router_state(ctx, start)
            for event in events:
                key = (event.contract, event.name)
                handler = HANDLERS.get(key)
                if handler is None:
                    self._skip(event)
                    continue
                if key in DEFERRED or is_independent(handler):
                    handler(ctx, event)
                else:
                    # It may read what the pending payments write, or change the songs
                    # they are distributed by: write those first, forget the songs after.
                    ctx.pending.flush(ctx)
                    handler(ctx, event)
                    ctx.pending.forget_songs()
                applied.append(event)
            ctx.pending.flush(ctx)
            if ctx.router_changed:
                store.save_router_state(session, self.name, ctx.router)
            chain.record_blocks(
                [(h.number, h.hash, h.parent_hash, h.time) for h in headers.values()]
            )
            chain.set_checkpoint(self.name, end, last.hash)
            chain.prune_blocks(end - self.keep_blocks)
        # Committed: now the side effects.
        for update in ctx.effects.metrics:
            update(self.metrics)
        for name, n in Counter(event.name for event in applied).items():
            self.metrics.indexer_events.labels(event=name).inc(n)
        for block, songs in ctx.effects.touched.items():
            self._journal.setdefault(block, set()).update(songs)
        for block in [b for b in self._journal if b < end - self.keep_blocks]:
            del self._journal[block]
        self.metrics.indexer_batch.observe(time.perf_counter() - began)
        self._notify(
            Committed(
                first_block=start,
                last_block=end,
                events=len(applied),
                songs_changed=any(e.name in SONG_EVENTS for e in applied),
            )
        )
        return len(applied)

    def _notify(self, committed: Committed) -> None:
        if self.on_commit is None:
            return
        try:
            self.on_commit(committed)
        except Exception:
            log.exception("indexer: the on_commit hook failed for %s", committed)

    @staticmethod
    def _check_batch(
        start: int,
        events: Sequence[ChainEvent],
        headers: dict[int, Header],
        checkpoint: Checkpoint | None,
    ) -> None:
        for event in events:
            if event.block_hash != headers[event.block_number].hash:
                raise ChainMoved(f"block {event.block_number} changed while the batch was read")
        if (
            checkpoint is not None
            and checkpoint.block_number == start - 1
            and headers[start].parent_hash != checkpoint.block_hash
        ):
            raise ChainMoved(f"block {start} does not descend from the checkpoint")

    def _seed_router_state(self, ctx: IndexContext, start: int) -> None:
        """A catalogue indexed before the router settings were kept: read them at the
        block before the batch (the router's constructor logs them on a fresh run)."""
        if ctx.router.treasury is not None or start <= self.manifest.deployment_block:
            return
        try:
            settings = self.reader.router_settings(start - 1)
        except Web3Exception as exc:
            log.warning("indexer: cannot read the router settings at block %d: %s", start - 1, exc)
            return
        ctx.router.treasury = store.Setting(settings.treasury, start - 1)
        ctx.router.fee_bps = store.Setting(settings.fee_bps, start - 1)
        ctx.router_changed = True

    def _skip(self, event: ChainEvent) -> None:
        key = (event.contract, event.name)
        if key not in IGNORED and key not in self._unknown:
            self._unknown.add(key)
            log.warning("indexer: no handler for %s.%s; ignoring such events", *key)

    def _gauges(self, head: int, indexed: int | None) -> None:
        self.metrics.chain_head.set(head)
        if indexed is not None:
            self.metrics.indexer_head.set(indexed)
            self.metrics.indexer_lag.set(max(head - indexed, 0))

    # ---------------------------------------------------------------------- reorgs

    def _undo_reorg(self) -> bool:
        """Roll back to the common ancestor if the checkpoint block left the chain. The
        chain is read first, outside the write transaction, so a slow node never holds
        the catalogue's write lock."""
        checkpoint = self.checkpoint()
        if checkpoint is None:
            return False
        if self.reader.block_hash(checkpoint.block_number) == checkpoint.block_hash:
            return False
        with self.catalog.read() as session:
            blocks = store.stored_blocks(session, checkpoint.block_number)
            before = store.load_router_state(session, self.name)
        ancestor = self._common_ancestor(blocks)
        if ancestor is None:
            raise ReorgTooDeep(
                f"none of the {len(blocks)} remembered blocks up to {checkpoint.block_number}"
                " is on the chain any more; run `mycelix indexer rebuild`"
            )
        number, block_hash = ancestor
        settings = self._settings_at(before, number)
        songs = self._songs_at(number)
        with self.catalog.write() as session:
            self.lock.check()
            chain = ChainStateRepository(session)
            if chain.checkpoint(self.name) != checkpoint:
                raise IndexerError("the checkpoint moved under this indexer; is another running?")
            counts = chain.rollback_to(number, block_hash)
            if settings is not None:
                store.save_router_state(session, self.name, settings)
            for song_id, fields in songs.items():
                store.set_song_fields(session, song_id, fields)
            stubs = store.delete_orphan_stubs(session)
        for block in [b for b in self._journal if b > number]:
            del self._journal[block]
        self.metrics.indexer_reorgs.inc()
        self._notify(Committed(number + 1, checkpoint.block_number, 0, True, rolled_back=True))
        log.warning(
            "indexer: reorg below block %d: rolled back to block %d (%s), re-read %d songs, "
            "dropped %d stub songs",
            checkpoint.block_number,
            number,
            ", ".join(f"{k} {v}" for k, v in counts.items() if v),
            len(songs),
            stubs,
        )
        return True

    def _common_ancestor(self, blocks: list[tuple[int, str]]) -> tuple[int, str] | None:
        """The newest remembered block still on the chain (binary search: if a block is
        on the chain, so are the remembered blocks below it)."""
        low, high, found = 0, len(blocks) - 1, None
        while low <= high:
            middle = (low + high) // 2
            number, block_hash = blocks[middle]
            if self.reader.block_hash(number) == block_hash:
                found = blocks[middle]
                low = middle + 1
            else:
                high = middle - 1
        return found

    def _settings_at(self, before: store.RouterState, number: int) -> store.RouterState | None:
        """The router settings as of block `number` if one changed above it (the rollback
        garbles those rows), else None: the stored ones are still right."""
        stale = [s for s in (before.treasury, before.fee_bps) if s and s.block_number > number]
        if not stale:
            return None
        settings = self.reader.router_settings(number)
        return store.RouterState(
            treasury=store.Setting(settings.treasury, number),
            fee_bps=store.Setting(settings.fee_bps, number),
        )

    def _songs_at(self, number: int) -> dict[str, SongFields]:
        """The in-place fields, as of block `number`, of the songs that may have changed
        above it: those this process saw change, or every song registered by then when
        this process did not index everything above `number`."""
        if self._journal_from is not None and number >= self._journal_from:
            songs = set().union(*(s for b, s in self._journal.items() if b > number))
        else:
            with self.catalog.read() as session:
                songs = set(store.registered_song_ids(session, at_most=number))
        return {song_id: self.reader.song_fields(song_id, number) for song_id in sorted(songs)}

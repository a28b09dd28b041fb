"""The settlement worker: submits queued vouchers to `router.settle_vouchers` in batches, when
`batch_size` are waiting or the oldest has waited `max_age` seconds.

One worker settles per catalogue, however many replicas run it: each holds out for a leader lock
of its own (the indexer's kind, another key), and the others wait. Nothing is lost and nothing
settles twice across a crash:
- a batch's rows are marked `submitted` with the signed transaction's hash, committed, before the
  transaction is sent; a worker that starts finds such rows and looks their transaction up: mined,
  its events are applied; not found after `resubmit_after` seconds, the rows go back to the queue;
- the router settles a (listener, nonce) at most once, so a voucher submitted twice (the first
  transaction landed after all) is skipped as replayed the second time, and a recorded settlement
  is never overwritten by a skip;
- the indexer applies the same events (`mycelix.indexer.handlers`), so the queue converges even
  when this process dies between a transaction landing and its outcome being written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta

from web3.exceptions import TransactionNotFound
from web3.logs import DISCARD
from web3.types import TxReceipt

from mycelix.catalog.types import utcnow
from mycelix.chain.vouchers import SignedVoucher, Voucher
from mycelix.indexer.lock import LeaderLock
from mycelix.platform import Platform

from .models import QueuedVoucher
from .repository import VoucherRepository, skip_label

log = logging.getLogger(__name__)

# The settlement's leader lock ("mycelixV" as an int64) and its SQLite lock-file suffix.
PG_LOCK_KEY = 0x6D7963656C697856
LOCK_SUFFIX = ".settlement.lock"
BATCH_SIZE = 50
MAX_AGE = 30.0


class SettlementWorker:
    def __init__(
        self,
        platform: Platform,
        *,
        batch_size: int = BATCH_SIZE,
        max_age: float = MAX_AGE,
        poll_interval: float = 0.5,
        resubmit_after: float = 60.0,
    ) -> None:
        if not 0 < batch_size <= 128:
            raise ValueError("batch_size must be 1 to 128 (the router's MAX_BATCH)")
        self.p = platform
        self.batch_size = batch_size
        self.max_age = max_age
        self.poll_interval = poll_interval
        self.resubmit_after = resubmit_after
        self.lock = LeaderLock(platform.settings.catalog_url, key=PG_LOCK_KEY, suffix=LOCK_SUFFIX)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leading = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mycelix-settlement", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
        self.lock.release()
        self.leading.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.lock.acquire()
            except Exception:
                self._stop.wait(self.poll_interval)  # another replica settles
                continue
            self.leading.set()
            pause = self.poll_interval
            while not self._stop.is_set():
                try:
                    self.lock.check()
                    self.recover()
                    self.step()
                    pause = self.poll_interval
                except Exception as exc:
                    log.error("settlement: %s", exc, exc_info=exc)
                    pause = min(max(pause * 2, 1.0), 30.0)
                    if not self.lock.held:
                        break
                self._stop.wait(pause)
            self.leading.clear()

    # ------------------------------------------------------------------ one round

    def due(self) -> bool:
        with self.p.catalog.read() as session:
            count, oldest = VoucherRepository(session).queued_summary()
        if count == 0:
            return False
        return count >= self.batch_size or (
            oldest is not None and (utcnow() - oldest).total_seconds() >= self.max_age
        )

    def step(self, *, force: bool = False) -> int:
        """Submit one batch if one is due (or `force`); the number of vouchers submitted."""
        if not (force or self.due()):
            return 0
        with self.p.catalog.read() as session:
            batch = VoucherRepository(session).next_batch(self.batch_size)
            ids = [row.id for row in batch]
            tuples = [_as_tuple(row) for row in batch]
        if not ids:
            return 0
        call = self.p.sdk.router.functions.settle_vouchers(tuples)

        def record(tx_hash: str) -> None:
            with self.p.catalog.write() as session:
                VoucherRepository(session).mark_submitted(ids, tx_hash)

        try:
            receipt = self.p.sdk.sender.transact(call, before_send=record)
        except Exception:
            with self.p.catalog.write() as session:
                VoucherRepository(session).requeue(ids)
            raise
        self.apply(receipt)
        return len(ids)

    def recover(self) -> None:
        """Finish what a previous run (or this one) left submitted."""
        by_tx: dict[str, list[tuple[int, datetime | None]]] = defaultdict(list)
        with self.p.catalog.read() as session:
            for row in VoucherRepository(session).in_flight():
                by_tx[row.tx_hash or ""].append((row.id, row.submitted_at))
        cutoff = utcnow() - timedelta(seconds=self.resubmit_after)
        for tx_hash, group in by_tx.items():
            receipt = self._receipt(tx_hash)
            if receipt is not None:
                self.apply(receipt)
            elif all(at is None or at <= cutoff for _, at in group):
                log.warning("settlement: %d vouchers of %s back to the queue", len(group), tx_hash)
                with self.p.catalog.write() as session:
                    VoucherRepository(session).requeue([i for i, _ in group])

    def _receipt(self, tx_hash: str) -> TxReceipt | None:
        if not tx_hash:
            return None
        try:
            return self.p.chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def apply(self, receipt: TxReceipt) -> None:
        """Write a settlement transaction's outcome to the queue (idempotent)."""
        router = self.p.sdk.router
        tx_hash = receipt["transactionHash"].to_0x_hex()
        settled = router.events.VoucherSettled().process_receipt(receipt, errors=DISCARD)
        skipped = router.events.VoucherSkipped().process_receipt(receipt, errors=DISCARD)
        metrics = self.p.metrics
        with self.p.catalog.write() as session:
            repo = VoucherRepository(session)
            changed_settled = sum(
                repo.settled(e.args.listener, e.args.nonce, e.args.amount, tx_hash) for e in settled
            )
            changed_skipped = [
                e.args.reason
                for e in skipped
                if repo.skipped(e.args.listener, e.args.nonce, e.args.reason, tx_hash)
            ]
            gas_recorded = bool(changed_settled or changed_skipped)
        metrics.vouchers_settled.inc(changed_settled)
        for reason in changed_skipped:
            metrics.vouchers_skipped.labels(skip_label(reason)).inc()
        if gas_recorded:
            metrics.voucher_batch_gas.observe(receipt["gasUsed"])


def _as_tuple(row: QueuedVoucher) -> tuple[object, ...]:
    song = bytes.fromhex(row.song_id[2:])
    voucher = Voucher(row.listener, song, int(row.amount), row.nonce, row.expiry)
    signed = SignedVoucher(voucher, bytes.fromhex(row.signature[2:]))
    return signed.as_tuple()


def wait_settled(platform: Platform, timeout: float = 30.0) -> None:
    """Block until nothing is queued or submitted (tests and shutdown drains)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform.catalog.read() as session:
            counts = VoucherRepository(session).counts()
        if counts["queued"] == counts["submitted"] == 0:
            return
        time.sleep(0.1)
    raise TimeoutError(f"vouchers still unsettled after {timeout:g}s: {counts}")

"""The writers of `bench/api.py`'s mixed run: reads measured while the catalogue is written.

- **Payments through the indexer**: a listener pays for plays of pay-per-stream songs on
  anvil (`router.pay(STREAM)`, signed and sent raw without waiting for receipts, round robin
  over `PAID_SONGS` songs),
  and `mycelix indexer run` (its own process, as deployed) indexes them: each payment becomes
  a `payments` row, a `plays` row and a `songs.play_count` update, committed by the indexer.
- **Analytics events**: one `AnalyticsRepository.record` per transaction (what
  `POST /api/analytics/events` commits), on random songs.

Each writer runs at `rate` per second in its own process (paced; what it achieved is
reported, since a loaded machine may not keep up).
"""

from __future__ import annotations

import multiprocessing
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

PAID_SONGS = 20
PAY_PER_STREAM = "pay-per-stream-v1"


def register_paid_songs(platform: Any, audio_cid: str, start: Any) -> list[str]:
    """Register `PAID_SONGS` pay-per-stream songs on chain (the deployer as artist) and
    describe them in the catalogue; the indexer records their registration itself."""
    from mycelix.catalog.repositories import NewSong, SongRepository
    from mycelix.sdk import salt_for
    from mycelix.strategies.ids import strategy_id

    ids: list[str] = []
    for i in range(PAID_SONGS):
        salt = salt_for(f"bench paid song {i}")
        platform.sdk.register_song(salt, PAY_PER_STREAM)
        ids.append("0x" + platform.sdk.song_id_of(salt).hex())
    with platform.catalog.write() as session:
        songs = SongRepository(session)
        for i, song_id in enumerate(ids):
            songs.create(
                NewSong(
                    song_id=song_id,
                    artist=platform.sdk.address,
                    title=f"Bench Paid {i}",
                    genre="ambient",
                    audio_cid=audio_cid,
                    duration_ms=180_000,
                    media_type="audio/wav",
                    strategy_id=strategy_id(PAY_PER_STREAM),
                    strategy_name=PAY_PER_STREAM,
                    created_at=start,
                )
            )
    return ids


@dataclass
class Writers:
    """Each writer in its own process (as the indexer and API workers are), started and
    stopped together; `stop` returns what each achieved per second."""

    data_dir: Path
    rpc_url: str
    paid_songs: list[str]
    other_songs: list[str]
    rate: float = 50.0
    database_url: str | None = None
    errors: list[str] = field(default_factory=list)
    _procs: list[Any] = field(default_factory=list)
    _stop: Any = None
    _counts: dict[str, Any] = field(default_factory=dict)
    _queue: Any = None
    _started: float = 0.0

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._queue = ctx.Queue()
        ready = ctx.Barrier(3)
        for kind, songs in (("payments", self.paid_songs), ("analytics", self.other_songs)):
            self._counts[kind] = ctx.Value("q", 0)
            proc = ctx.Process(
                target=_writer,
                args=(
                    kind,
                    str(self.data_dir),
                    self.rpc_url,
                    self.database_url,
                    songs,
                    self.rate,
                    ready,
                    self._stop,
                    self._counts[kind],
                    self._queue,
                ),
                daemon=True,
            )
            proc.start()
            self._procs.append(proc)
        ready.wait(timeout=180)
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        seconds = time.perf_counter() - self._started
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
        while not self._queue.empty():
            self.errors.append(self._queue.get())
        return {kind: value.value / seconds for kind, value in self._counts.items()}


def _writer(
    kind: str,
    data_dir: str,
    rpc_url: str,
    database_url: str | None,
    songs: list[str],
    rate: float,
    ready: Any,
    stop: Any,
    count: Any,
    errors: Any,
) -> None:
    from mycelix.config import Settings

    settings = Settings(data_dir=Path(data_dir), rpc_url=rpc_url, database_url=database_url)

    def paced(step: Any) -> None:
        ready.wait(timeout=180)
        period, due, failures = 1.0 / rate, time.perf_counter(), 0
        while not stop.is_set():
            try:
                step()
                count.value += 1
            except Exception as exc:  # reported, not fatal: the reads are what is measured
                failures += 1
                errors.put(f"{kind}: {exc!r}")
                if failures > 20:
                    return
            due += period
            delay = due - time.perf_counter()
            if delay > 0:
                stop.wait(delay)
            else:
                due = time.perf_counter()  # fell behind: do not burst to catch up

    if kind == "payments":
        from mycelix.sdk import PaymentType, connect

        with connect(settings, deploy=False) as (sdk, chain):
            listener = sdk.as_account(chain.dev_accounts[2])
            listener.faucet(Decimal(1_000))
            listener.ensure_allowance(2**256 - 1)
            account, w3 = chain.dev_accounts[2], chain.w3
            # Built and estimated once, then only re-nonced, signed and sent: a wallet's work
            # per payment. Waiting for each receipt (the SDK's `transact`) capped one writer
            # at ~25 payments/s on a loaded machine; anvil mines each on arrival anyway.
            txs = []
            for song in songs:
                call = listener.router.functions.pay(
                    song, listener.quote(song, PaymentType.STREAM), int(PaymentType.STREAM), 0
                )
                gas = call.estimate_gas({"from": account.address})
                txs.append(call.build_transaction({"from": account.address, "gas": gas * 2}))
            nonce = iter(range(w3.eth.get_transaction_count(account.address, "pending"), 2**63))

            def pay() -> None:
                tx: dict[str, Any] = {**txs[next(turn) % len(txs)], "nonce": next(nonce)}
                w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)

            turn = iter(range(10**12))
            paced(pay)
        return

    from mycelix.catalog.db import Catalog
    from mycelix.catalog.repositories.analytics import AnalyticsRepository

    catalog = Catalog(settings.catalog_url)
    rng = random.Random(3)

    def one() -> None:
        with catalog.write() as session:
            AnalyticsRepository(session).record(
                "play_end", {"position": rng.randint(0, 300)}, song_id=rng.choice(songs)
            )

    try:
        paced(one)
    finally:
        catalog.dispose()

"""Only one indexer writes to a catalogue: a second one is refused (or waits), on SQLite
(a flock next to the database file) and on PostgreSQL (an advisory lock held by a
dedicated session, lost — and noticed — when that session dies)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mycelix.chain.connect import Chain
from mycelix.config import Settings
from mycelix.indexer import Indexer, IndexerError, IndexerLocked, LeaderLock
from mycelix.sdk import Mycelix, connect

from .conftest import MakeCatalog
from .support import PPS, make_cast, salt_of


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mycelix, Chain]]:
    data_dir: Path = tmp_path_factory.mktemp("lock-chain")
    with connect(Settings(data_dir=data_dir), deploy=True) as (sdk, chain):
        yield sdk, chain


def test_a_second_indexer_is_refused_until_the_first_stops(
    deployed: tuple[Mycelix, Chain], make_catalog: MakeCatalog
) -> None:
    sdk, chain = deployed
    catalog = make_catalog()
    first = Indexer(catalog, chain.w3, sdk.manifest)
    second = Indexer(catalog, chain.w3, sdk.manifest)
    first.run_once()
    with pytest.raises(IndexerLocked, match="another indexer is running on this catalogue"):
        second.run_once()
    with pytest.raises(IndexerLocked, match=r"still holds the lock after 0\.2s"):
        second.acquire(wait=True, timeout=0.2)
    first.close()
    assert second.run_once() == 0
    second.close()


def test_a_standby_indexer_takes_over_when_the_leader_stops(
    deployed: tuple[Mycelix, Chain], make_catalog: MakeCatalog
) -> None:
    sdk, chain = deployed
    catalog = make_catalog()
    leader = LeaderLock(catalog.url)
    leader.acquire()
    standby = Indexer(catalog, chain.w3, sdk.manifest, wait_for_lock=True)
    stop = threading.Event()
    worker = threading.Thread(target=standby.run_forever, args=(stop, 0.02))
    worker.start()
    try:
        time.sleep(0.3)
        assert worker.is_alive() and standby.checkpoint() is None
        leader.release()
        deadline = time.monotonic() + 10
        while standby.checkpoint() is None:
            assert time.monotonic() < deadline, "the standby indexer never took over"
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    standby.close()


def test_run_forever_follows_the_chain_and_survives_a_transient_failure(
    deployed: tuple[Mycelix, Chain], make_catalog: MakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk, chain = deployed
    catalog = make_catalog()
    indexer = Indexer(catalog, chain.w3, sdk.manifest)
    real_head = indexer.reader.head
    failures = iter([ConnectionError("node restarting")])

    def flaky_head() -> int:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_head()

    monkeypatch.setattr(indexer.reader, "head", flaky_head)
    stop = threading.Event()
    worker = threading.Thread(target=indexer.run_forever, args=(stop, 0.02))
    worker.start()
    try:
        cast = make_cast(sdk, chain, fund=False)
        cast.artist.register_song(salt_of(cast.song("followed")), PPS)
        target = chain.w3.eth.block_number
        deadline = time.monotonic() + 10
        while (cp := indexer.checkpoint()) is None or cp.block_number < target:
            assert worker.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    indexer.close()


def test_postgresql_advisory_lock(make_catalog: MakeCatalog, pg_admin_url: str) -> None:
    catalog = make_catalog(pg_admin_url)
    first, second = LeaderLock(catalog.url), LeaderLock(catalog.url)
    first.acquire()
    first.check()
    with pytest.raises(IndexerLocked, match="PostgreSQL advisory lock"):
        second.acquire()
    first.release()
    second.acquire()
    # The holder's session dies (server restart, network): the lock is gone and the
    # indexer notices before writing another batch.
    plain = catalog.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'mycelix-indexer' AND datname = current_database()"
        )
    with pytest.raises(IndexerError, match="lost the leader lock"):
        second.check()
    first.acquire()
    first.release()

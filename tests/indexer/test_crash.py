"""Kill -9 mid-run: an indexer process over a long history (anvil) with a tiny batch size
is killed a third of the way through; a restarted indexer finishes, and the tables
equal a rebuild from the chain. (Each batch commits with its checkpoint, so the kill can
only lose whole batches, which the restart re-applies.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.indexer import Indexer, rebuild
from mycelix.sdk import Role, connect
from mycelix.sdk import Split as SplitOf
from tests.require import require_anvil
from tests.support.anvil import run_anvil

from .conftest import MakeCatalog
from .support import PPS, assert_credits_match_chain, dump, make_cast, mine, salt_of

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from web3 import Web3
    from mycelix.catalog import Catalog
    from mycelix.chain.manifest import Manifest
    from mycelix.indexer import Indexer

    catalog_url, rpc_url, manifest_path = sys.argv[1:4]
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    indexer = Indexer(Catalog(catalog_url), w3, Manifest.load(Path(manifest_path)), batch_blocks=4)
    while True:  # one small batch at a time, until killed
        indexer.run_once(max_batches=1)
        time.sleep(0.01)
    """
)


def checkpoint_of(indexer: Indexer) -> int | None:
    checkpoint = indexer.checkpoint()
    return None if checkpoint is None else checkpoint.block_number


def test_kill_9_mid_run_then_restart(make_catalog: MakeCatalog, tmp_path: Path) -> None:
    require_anvil()
    with (
        run_anvil() as url,
        connect(Settings(data_dir=tmp_path, rpc_url=url), deploy=True) as (
            sdk,
            chain,
        ),
    ):
        cast = make_cast(sdk, chain)
        songs = [cast.song(f"long history {i}") for i in range(3)]
        for song in songs:
            cast.artist.register_song(salt_of(song), PPS)
        cast.artist.configure_splits(
            songs[0],
            [
                SplitOf(cast.artist.address, 7_000),
                SplitOf(cast.producer.address, 3_000, Role.PRODUCER),
            ],
        )
        for round_ in range(12):
            cast.listener.stream(songs[round_ % 3])
            cast.patron.tip(songs[round_ % 3], Decimal("0.001") * (round_ + 1))
            mine(chain, 15)
        cast.artist.withdraw()
        head = chain.w3.eth.block_number
        assert head > 200

        catalog = make_catalog()
        probe = Indexer(catalog, chain.w3, sdk.manifest)  # reads only; never locks
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(catalog.url), url, str(tmp_path / "deployment.json")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while (at := checkpoint_of(probe)) is None or at < head // 3:
                assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
                assert time.monotonic() < deadline, "the child indexer never got a third of the way"
                time.sleep(0.005)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        killed_at = checkpoint_of(probe)
        assert killed_at is not None and killed_at < head, "the child finished before the kill"
        print(f"killed at block {killed_at} of {head}")

        with Indexer(catalog, chain.w3, sdk.manifest, batch_blocks=7) as restarted:
            restarted.run_once()  # takes the lock the dead process held
            assert checkpoint_of(restarted) == head
        fresh = make_catalog()
        rebuild(fresh, chain.w3, sdk.manifest)
        assert dump(catalog) == dump(fresh)
        assert_credits_match_chain(catalog, sdk, [a.address for a in cast.everyone])

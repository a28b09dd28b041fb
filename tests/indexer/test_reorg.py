"""Reorgs on a real node (anvil) and on the embedded chain: index a branch, rewind the
chain with ``evm_snapshot``/``evm_revert``, grow a different branch past the old head, and
index again. The orphaned rows are gone, the new ones are there, the in-place song fields
and router settings are those of the new branch, and the catalogue equals a rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from mycelix.catalog import Catalog
from mycelix.catalog.models import Credit, Payment, Song
from mycelix.chain.connect import Chain
from mycelix.config import Settings
from mycelix.indexer import Committed, Indexer, ReorgTooDeep, rebuild
from mycelix.indexer.reader import hex32
from mycelix.ops.metrics import Metrics
from mycelix.sdk import Mycelix, Role, Tier, connect
from mycelix.sdk import Split as SplitOf
from tests.require import require_anvil
from tests.support.anvil import run_anvil

from .conftest import MakeCatalog
from .support import (
    PATRONAGE,
    PPS,
    assert_credits_match_chain,
    dump,
    make_cast,
    mine,
    rpc,
    salt_of,
)


@dataclass
class Node:
    sdk: Mycelix
    chain: Chain


@pytest.fixture(params=["anvil", "embedded"])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    if request.param == "embedded":
        with connect(Settings(data_dir=tmp_path), deploy=True) as (sdk, chain):
            yield Node(sdk, chain)
        return
    require_anvil()
    with (
        run_anvil() as url,
        connect(Settings(data_dir=tmp_path, rpc_url=url), deploy=True) as (
            sdk,
            chain,
        ),
    ):
        yield Node(sdk, chain)


def payment_txs(catalog: Catalog) -> set[str]:
    with catalog.read() as session:
        return set(session.scalars(select(Payment.tx_hash)))


@pytest.mark.parametrize("restart", [False, True], ids=["same-process", "after-restart"])
def test_a_reorg_is_undone_and_the_new_branch_indexed(
    node: Node, make_catalog: MakeCatalog, restart: bool
) -> None:
    reorg_scenario(node, make_catalog(), make_catalog, restart=restart)


def test_a_reorg_on_postgresql(
    tmp_path: Path, make_catalog: MakeCatalog, pg_admin_url: str
) -> None:
    with connect(Settings(data_dir=tmp_path), deploy=True) as (sdk, chain):
        reorg_scenario(Node(sdk, chain), make_catalog(pg_admin_url), make_catalog, restart=True)


def reorg_scenario(
    node: Node, catalog: Catalog, make_catalog: MakeCatalog, *, restart: bool
) -> None:
    sdk, chain = node.sdk, node.chain
    cast = make_cast(sdk, chain)
    artist, listener = cast.artist, cast.listener
    unsplit, channel = cast.song("unsplit"), cast.song("channel")
    artist.register_song(salt_of(unsplit), PPS)
    artist.register_song(salt_of(channel), PATRONAGE)
    artist.configure_patronage([Tier("fan", 5 * 10**18, exclusive=True)])
    listener.stream(unsplit)
    metrics = Metrics()
    indexer = Indexer(catalog, chain.w3, sdk.manifest, metrics, batch_blocks=4)
    indexer.run_once()
    snapshot = rpc(chain, "evm_snapshot")
    fork = chain.w3.eth.block_number

    # Branch A: moves money and changes songs and router settings in place.
    orphan = cast.song("orphan")
    artist.register_song(salt_of(orphan), PPS)
    artist.configure_splits(orphan, [SplitOf(cast.producer.address, 10_000, Role.PRODUCER)])
    listener.stream(orphan)
    artist.offer_song(unsplit, cast.label.address)
    cast.label.accept_song(unsplit)
    artist.set_patron_only(channel)
    cast.as_owner("set_treasury", cast.treasury.address)
    cast.as_owner("set_fee", 400)
    listener.stream(unsplit)
    listener.tip(unsplit, Decimal("0.5"))
    cast.patron.become_patron(channel, tier=0)
    indexer.run_once()
    old_head = chain.w3.eth.block_number
    old_hash = chain.w3.eth.get_block(old_head)["hash"]
    orphaned = payment_txs(catalog)
    assert indexer.checkpoint().block_number == old_head  # type: ignore[union-attr]
    with catalog.read() as session:
        assert session.get(Song, hex32(unsplit)).artist == cast.label.address.lower()  # type: ignore[union-attr]

    # Branch B: back to the fork, other transactions, grown past the old head.
    rpc(chain, "evm_revert", snapshot)
    assert chain.w3.eth.block_number == fork
    cast = make_cast(sdk, chain, fund=False, rewound=True)
    cast.listener.tip(unsplit, Decimal("0.25"))
    cast.buyer.faucet(Decimal(10))
    cast.buyer.stream(unsplit)
    cast.artist.change_strategy(channel, PPS)
    mine(chain, old_head + 2 - chain.w3.eth.block_number)
    assert chain.w3.eth.block_number > old_head
    assert chain.w3.eth.get_block(old_head)["hash"] != old_hash

    if restart:  # a new process: nothing in memory about branch A
        indexer.close()
        indexer = Indexer(catalog, chain.w3, sdk.manifest, metrics, batch_blocks=4)
    indexer.run_once()
    indexer.close()
    assert metrics.registry.get_sample_value("mycelix_indexer_reorgs_total") == 1

    current = payment_txs(catalog)
    before_fork = {e.tx_hash for e in sdk.events(to_block=fork) if e.name == "Payment"}
    after_fork = {e.tx_hash for e in sdk.events(from_block=fork + 1) if e.name == "Payment"}
    assert len(after_fork) == 2
    assert current == before_fork | after_fork
    assert not (orphaned - before_fork) & current
    with catalog.read() as session:
        unsplit_row = session.get(Song, hex32(unsplit))
        assert unsplit_row is not None and unsplit_row.artist == cast.artist.address.lower()
        channel_row = session.get(Song, hex32(channel))
        assert channel_row is not None
        assert (channel_row.patron_only, channel_row.strategy_name) == (False, PPS)
        assert session.get(Song, hex32(orphan)) is None  # a stub of branch A only
        fee_to = set(session.scalars(select(Credit.recipient).where(Credit.kind == "fee")))
        assert fee_to == {cast.owner.address.lower()}
    assert_credits_match_chain(catalog, sdk, [a.address for a in cast.everyone])

    fresh = make_catalog()
    rebuild(fresh, chain.w3, sdk.manifest)
    assert dump(catalog) == dump(fresh)


def test_a_shorter_chain_rolls_back_and_a_too_deep_reorg_is_refused(
    tmp_path: Path, make_catalog: MakeCatalog
) -> None:
    with connect(Settings(data_dir=tmp_path), deploy=True) as (sdk, chain):
        cast = make_cast(sdk, chain)
        song = cast.song("short")
        cast.artist.register_song(salt_of(song), PPS)
        cast.listener.stream(song)
        catalog, shallow = make_catalog(), make_catalog()
        commits: list[Committed] = []
        indexer = Indexer(catalog, chain.w3, sdk.manifest, batch_blocks=3, on_commit=commits.append)
        # Remembers only each batch's last block: cannot find an ancestor below it.
        forgetful = Indexer(shallow, chain.w3, sdk.manifest, keep_blocks=0)
        indexer.run_once()
        forgetful.run_once()
        snapshot = rpc(chain, "evm_snapshot")
        fork = chain.w3.eth.block_number
        cast.listener.stream(song)
        cast.listener.tip(song, Decimal("0.3"))
        indexer.run_once()
        forgetful.run_once()
        grown = commits[-1]
        assert grown.songs_changed and not grown.rolled_back
        rpc(chain, "evm_revert", snapshot)  # the chain is now shorter than the checkpoint

        indexer.run_once()
        undone = commits[-1]
        assert undone.rolled_back and undone.last_block > fork
        checkpoint = indexer.checkpoint()
        assert checkpoint is not None and checkpoint.block_number <= fork
        fresh = make_catalog()
        rebuild(fresh, chain.w3, sdk.manifest)
        assert dump(catalog) == dump(fresh)
        with pytest.raises(ReorgTooDeep, match="run `mycelix indexer rebuild`"):
            forgetful.run_once()
        indexer.close()
        forgetful.close()

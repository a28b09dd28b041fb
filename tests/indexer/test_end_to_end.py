"""The indexer over a whole economy on the embedded chain: every strategy and router event
lands in the catalogue, credits equal the router's to the unit, re-running adds nothing,
confirmations hold blocks back, and a rebuild reproduces the tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from web3._utils.events import get_event_data

from mycelix.catalog import Catalog
from mycelix.catalog.models import (
    Auction,
    Credit,
    IndexerCheckpoint,
    Payment,
    Play,
    Song,
    Withdrawal,
)
from mycelix.catalog.repositories import (
    AnalyticsRepository,
    AuctionRepository,
    ChainStateRepository,
    NewSong,
    PatronRepository,
    PlayRepository,
    SongRepository,
)
from mycelix.chain.connect import Chain
from mycelix.chain.units import ONE, PaymentType
from mycelix.config import Settings
from mycelix.indexer import CHECKPOINT, Indexer, rebuild
from mycelix.indexer.reader import hex32
from mycelix.ops.metrics import Metrics
from mycelix.sdk import Mycelix, connect
from mycelix.sdk.events import EventDecoder
from mycelix.strategies import registry
from mycelix.strategies.ids import strategy_id

from .conftest import MakeCatalog
from .support import GIFT, PPS, Cast, Songs, assert_credits_match_chain, dump, economy, make_cast

STRATEGIES = registry.names()


@dataclass
class World:
    sdk: Mycelix
    chain: Chain
    cast: Cast
    songs: Songs

    @property
    def head(self) -> int:
        return self.chain.w3.eth.block_number

    def indexer(self, catalog: Catalog, **options: object) -> Indexer:
        return Indexer(catalog, self.chain.w3, self.sdk.manifest, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("economy")
    with connect(Settings(data_dir=data_dir), deploy=True) as (sdk, chain):
        cast = make_cast(sdk, chain)
        yield World(sdk, chain, cast, economy(cast))


def h(song: bytes) -> str:
    return hex32(song)


def test_the_whole_economy_is_indexed(world: World, make_catalog: MakeCatalog) -> None:
    check_the_whole_economy(world, make_catalog())


def test_the_whole_economy_is_indexed_on_postgresql(
    world: World, make_catalog: MakeCatalog, pg_admin_url: str
) -> None:
    check_the_whole_economy(world, make_catalog(pg_admin_url))


def check_the_whole_economy(world: World, catalog: Catalog) -> None:
    metrics = Metrics()
    with world.indexer(catalog, metrics=metrics, batch_blocks=16) as indexer:
        applied = indexer.run_once()
    cast, songs = world.cast, world.songs
    chain_events = list(world.sdk.events())
    payments = [e for e in chain_events if e.name == "Payment"]
    assert applied > len(payments) > 0

    # Money: every address's credits minus withdrawals equal the router's credits.
    compared = assert_credits_match_chain(catalog, world.sdk, [a.address for a in cast.everyone])
    assert compared >= 7
    router_balance = world.sdk.flow_balance(world.sdk.manifest.router)
    with catalog.read() as session:
        credited = sum(session.scalars(select(Credit.amount)))
        stored = list(session.scalars(select(Payment)))
        assert len(stored) == len(payments)
        fee_credits = session.execute(
            select(Credit.recipient, Credit.amount).where(Credit.kind == "fee")
        ).all()
    withdrawn = sum(int(str(e.args["amount"])) for e in chain_events if e.name == "Withdrawal")
    assert credited - withdrawn == router_balance
    # Fees went to the treasury of the time: the deployer first, then the new treasury.
    treasuries = {recipient for recipient, _ in fee_credits}
    assert treasuries == {cast.owner.address.lower(), cast.treasury.address.lower()}

    with catalog.read() as session:
        # Plays: one per STREAM payment, free ones included; play counts agree.
        streams = [e for e in payments if e.args["payment_type"] == PaymentType.STREAM]
        assert PlayRepository(session).count() == len(streams)
        free = [e for e in streams if e.args["amount"] == 0]
        assert len(free) >= 5
        for song in session.scalars(select(Song)):
            assert song.play_count == PlayRepository(session).count(song_id=song.song_id)
        # Songs: chain fields follow accepted transfers (the offer alone changed nothing: a
        # tip in between went to the artist), strategy changes, prices and patron-only flags.
        repo = SongRepository(session)
        gift = repo.require(h(songs.gift))
        assert gift.artist == cast.label.address.lower()
        offered = [e for e in chain_events if e.name == "SongTransferOffered"]
        accepted = [e for e in chain_events if e.name == "SongTransferred"]
        assert len(offered) == len(accepted) == 1
        tips_between = [
            e
            for e in payments
            if e.args["song_id"] == songs.gift
            and offered[0].block_number < e.block_number < accepted[0].block_number
        ]
        assert len(tips_between) == 1
        credited = session.scalars(
            select(Credit.recipient).where(
                Credit.payment_id
                == select(Payment.id)
                .where(Payment.tx_hash == tips_between[0].tx_hash)
                .scalar_subquery(),
                Credit.kind != "fee",
            )
        ).all()
        assert credited == [cast.artist.address.lower()]
        assert repo.require(h(songs.pps)).stream_price == 2 * 10**16
        assert repo.require(h(songs.solo)).stream_price is None  # the default price
        assert gift.title == "" and gift.registration_block is not None  # a stub
        solo = repo.require(h(songs.solo))
        assert solo.strategy_name == GIFT and solo.strategy_id == hex32(strategy_id(GIFT))
        assert repo.require(h(songs.channel)).patron_only is True
        assert [(s.bps, s.block_number is not None) for s in repo.require(h(songs.pps)).splits] == [
            (5_001, True),
            (3_333, True),
            (1_666, True),
        ]
        # Patronage: joined, renewed at level 1, cancelled.
        kinds = [
            e.name
            for e in chain_events
            if e.contract == "Patronage" and e.name != "PatronageConfigured"
        ]
        assert kinds == ["PatronOnlySet", "PatronJoined", "PatronRenewed", "PatronCancelled"]
        patron = PatronRepository(session).get(cast.artist.address, cast.patron.address)
        assert patron is not None and patron.status == "cancelled" and patron.tier == 1
        # Auction: two slots sold out, clearing price = last slot's price, closed.
        auction = AuctionRepository(session).require(h(songs.limited), 1)
        slots = AuctionRepository(session).slots(auction.id)
        assert (auction.sold, auction.live, auction.end_reason) == (2, False, 1)
        assert auction.revenue == sum(s.price for s in slots)
        assert auction.clearing_price == slots[-1].price

    # Metrics count what the chain did.
    def sample(name: str, **labels: str) -> float:
        return metrics.registry.get_sample_value(f"mycelix_{name}", labels) or 0.0

    charged = [e for e in payments if e.args["amount"]]
    by_type = {str(t.name).lower() for t in PaymentType}
    assert sum(
        sample("payments_total", strategy=s, type=t) for s in STRATEGIES for t in by_type
    ) == len(charged)
    paid_streams = [e for e in streams if e.args["amount"]]
    assert sample("plays_total", strategy=PPS) == len(paid_streams)
    fees = sum(int(str(e.args["fee"])) for e in payments)
    assert sample("protocol_fees_flow_total") == pytest.approx(fees / ONE)
    assert sample("songs_registered_total", strategy=GIFT) == 1
    assert sample("auction_slots_sold_total") == 2
    assert sample("patronage_payments_total", kind="renewed") == 1
    assert sample("cgc_minted_total") > 0
    assert sample("indexer_events_total", event="Payment") == len(payments)
    assert sample("indexer_head_block") == world.head
    assert sample("indexer_lag_blocks") == 0
    assert sample("indexer_reorgs_total") == 0


def test_running_again_adds_nothing(world: World, make_catalog: MakeCatalog) -> None:
    catalog = make_catalog()
    with world.indexer(catalog, batch_blocks=10) as indexer:
        assert indexer.run_once() > 0
        first = dump(catalog)
        assert indexer.run_once() == 0
        assert dump(catalog) == first
        checkpoint = indexer.checkpoint()
        assert checkpoint is not None
        assert checkpoint.block_number == world.head
        assert checkpoint.block_hash == hex32(world.chain.w3.eth.get_block(world.head)["hash"])
        # Replaying every block (checkpoint moved back by hand) inserts nothing either.
        start = world.sdk.manifest.deployment_block - 1
        with catalog.write() as session:
            before = hex32(world.chain.w3.eth.get_block(start)["hash"])
            ChainStateRepository(session).set_checkpoint(CHECKPOINT, start, before)
        assert indexer.run_once() > 0
        assert dump(catalog) == first
    # A new process (fresh indexer, settings read back from the catalogue) agrees.
    with world.indexer(catalog) as again:
        assert again.run_once() == 0
    assert dump(catalog) == first


def test_confirmations_hold_back_the_newest_blocks(world: World, make_catalog: MakeCatalog) -> None:
    catalog = make_catalog()
    head = world.head
    recent = [e for e in world.sdk.events(from_block=head - 1) if e.name == "Withdrawal"]
    assert recent, "the economy should end with withdrawals in its last two blocks"
    with world.indexer(catalog, confirmations=2) as indexer:
        indexer.run_once()
        status = indexer.status()
    assert (status.checkpoint, status.safe_head) == (head - 2, head - 2)
    with catalog.read() as session:
        newest = session.scalar(select(Payment.block_number).order_by(Payment.block_number.desc()))
        assert newest is not None and newest <= head - 2
        txs = {e.tx_hash for e in recent}
        assert not set(session.scalars(select(Withdrawal.tx_hash))) & txs


def test_rebuild_reproduces_the_tables_and_keeps_off_chain_data(
    world: World, make_catalog: MakeCatalog
) -> None:
    incremental = make_catalog()
    with world.indexer(incremental, batch_blocks=3) as indexer:
        indexer.run_once()
    expected = dump(incremental)

    catalog = make_catalog()
    artist = world.cast.artist.address
    described = b"\x42" * 32
    with catalog.write() as session:
        SongRepository(session).create(
            NewSong(song_id=described, artist=artist, title="Described", audio_cid="bafy-audio")
        )
        PlayRepository(session).record(described, played_at=datetime.now(UTC))
        AnalyticsRepository(session).record("page_view", song_id=described)
    rebuild(catalog, world.chain.w3, world.sdk.manifest)
    once = dump(catalog)
    rebuild(catalog, world.chain.w3, world.sdk.manifest, batch_blocks=5)
    assert dump(catalog) == once

    def chain_only(d: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
        return {
            table: [row for row in rows if row[0] != hex32(described)] for table, rows in d.items()
        }

    assert chain_only(once) == chain_only(expected)
    with catalog.read() as session:
        song = SongRepository(session).require(described)
        assert (song.title, song.play_count) == ("Described", 1)
        assert session.scalar(select(Play.id).where(Play.block_number.is_(None))) is not None
        names = set(session.scalars(select(IndexerCheckpoint.name)))
    assert names == {CHECKPOINT, f"{CHECKPOINT}:treasury", f"{CHECKPOINT}:fee_bps"}
    with incremental.read() as session:
        assert session.scalar(select(Auction.live)) is False


def test_decoding_gives_what_web3_gives_for_every_event(world: World) -> None:
    """The precomputed decoder (word slicing, raw JSON-RPC logs) against web3's own
    `get_event_data`, for every log the whole economy emitted, as web3 formats it and as a
    JSON-RPC node sends it."""
    decoder = EventDecoder(world.chain.w3, world.sdk.manifest)
    logs = world.chain.w3.eth.get_logs(
        {"fromBlock": world.sdk.manifest.deployment_block, "toBlock": world.head}
    )
    names = set()
    for log in logs:
        layout = decoder._by_key.get((log["address"].lower(), bytes(log["topics"][0])))
        assert layout is not None, f"no layout for {log}"
        expected = get_event_data(world.chain.w3.codec, layout.abi, log)  # type: ignore[arg-type]
        raw = {
            "address": log["address"].lower(),
            "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
            "data": "0x" + bytes(log["data"]).hex(),
            "blockNumber": hex(log["blockNumber"]),
            "blockHash": "0x" + bytes(log["blockHash"]).hex(),
            "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
            "logIndex": hex(log["logIndex"]),
            "transactionIndex": hex(log["transactionIndex"]),
            "removed": False,
        }
        for shape in (log, raw):
            event = decoder.decode(shape)
            assert event is not None
            assert (event.contract, event.name) == (layout.contract, expected["event"])
            assert event.args == dict(expected["args"]), expected["event"]
            assert [type(v) for v in event.args.values()] == [
                type(v) for v in dict(expected["args"]).values()
            ], expected["event"]
            assert (event.block_number, event.log_index) == (log["blockNumber"], log["logIndex"])
            assert event.tx_hash == "0x" + bytes(log["transactionHash"]).hex()
            assert event.block_hash == "0x" + bytes(log["blockHash"]).hex()
        names.add(expected["event"])
    # The economy exercises both paths: one-word events (sliced) and array events (web3's).
    assert {"Payment", "SongRegistered", "SplitsConfigured"} <= names

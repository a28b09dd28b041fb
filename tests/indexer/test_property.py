"""Properties: the Python distribution is the router's rule, and for random sequences of
splits, fees, treasuries and payments the indexed credits equal the router's credits for
every address, after every step."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mycelix.catalog import Catalog, migrate
from mycelix.chain.units import BPS
from mycelix.config import Settings
from mycelix.indexer import Indexer, distribute
from mycelix.sdk import Mycelix, Role, connect
from mycelix.sdk import Split as SplitOf
from tests.support.anvil import anvil_binary, run_anvil

from .support import PPS, Cast, assert_credits_match_chain, make_cast, salt_of

ADDRESSES = [f"0x{i:040x}" for i in range(1, 9)]


@st.composite
def split_bps(draw: st.DrawFn, max_recipients: int = 6) -> list[int]:
    """Positive basis points summing to 10000."""
    n = draw(st.integers(1, max_recipients))
    cuts = sorted(draw(st.sets(st.integers(1, BPS - 1), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, BPS]
    return [b - a for a, b in itertools.pairwise(bounds)]


@given(net=st.integers(0, 2**200), bps=split_bps(), recipients=st.data())
def test_distribution_is_exact_and_follows_the_router(
    net: int, bps: list[int], recipients: st.DataObject
) -> None:
    who = [recipients.draw(st.sampled_from(ADDRESSES)) for _ in bps]
    shares = distribute(net, list(zip(who, bps, strict=True)), ADDRESSES[0])
    assert sum(s.amount for s in shares) == net
    assert [s.recipient for s in shares] == who
    assert all(s.amount == net * b // BPS for s, b in zip(shares[1:], bps[1:], strict=True))
    assert distribute(net, [], ADDRESSES[-1])[0].amount == net


@dataclass
class Economy:
    sdk: Mycelix
    cast: Cast
    catalog: Catalog
    indexer: Indexer


@pytest.fixture(scope="module")
def economy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Economy]:
    data_dir: Path = tmp_path_factory.mktemp("property")
    url = f"sqlite:///{data_dir / 'catalog.sqlite3'}"
    migrate(url)
    catalog = Catalog(url)
    with ExitStack() as stack:
        # anvil when installed: it mines several times faster than the embedded chain.
        rpc_url = stack.enter_context(run_anvil()) if anvil_binary() else None
        sdk, chain = stack.enter_context(
            connect(Settings(data_dir=data_dir, rpc_url=rpc_url), deploy=True)
        )
        cast = make_cast(sdk, chain)
        indexer = stack.enter_context(Indexer(catalog, chain.w3, sdk.manifest, batch_blocks=5))
        yield Economy(sdk, cast, catalog, indexer)
    catalog.dispose()


@settings(max_examples=25, deadline=None)
@given(
    bps=st.none() | split_bps(max_recipients=4),
    recipients=st.lists(st.integers(0, 3), min_size=4, max_size=4),
    fee=st.integers(0, 500),
    treasury=st.integers(0, 3),
    tips=st.lists(st.integers(1, 10**19), min_size=1, max_size=3),
    withdraw=st.booleans(),
)
def test_indexed_credits_equal_the_routers(
    economy: Economy,
    bps: list[int] | None,
    recipients: list[int],
    fee: int,
    treasury: int,
    tips: list[int],
    withdraw: bool,
) -> None:
    cast = economy.cast
    people = [cast.artist, cast.producer, cast.label, cast.treasury]
    song = cast.song("property")
    cast.artist.register_song(salt_of(song), PPS)
    if bps is not None:
        splits = [SplitOf(people[recipients[i]].address, b, Role.OTHER) for i, b in enumerate(bps)]
        cast.artist.configure_splits(song, splits)
    cast.as_owner("set_fee", fee)
    cast.as_owner("set_treasury", people[treasury].address)
    for amount in tips:
        cast.listener.tip(song, amount)
    if withdraw and cast.producer.credits():
        cast.producer.withdraw()
    economy.indexer.run_once()
    assert_credits_match_chain(economy.catalog, economy.sdk, [p.address for p in people])

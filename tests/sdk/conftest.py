"""The SDK suite runs twice: on the embedded chain and on anvil as a real JSON-RPC node.

One deployment per backend per session; tests use their own song ids and measure balances as
differences, so they do not depend on each other's order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from mycelix.chain.connect import Chain
from mycelix.config import Settings
from mycelix.sdk import Mycelix, connect, salt_for, song_id_for
from tests.require import require_anvil
from tests.support.anvil import run_anvil

_counter = itertools.count()


@dataclass
class Actors:
    chain: Chain
    owner: Mycelix
    artist: Mycelix
    listener: Mycelix
    producer: Mycelix
    patron: Mycelix
    buyer: Mycelix
    stranger: Mycelix

    def salt(self, title: str = "song") -> bytes:
        """A fresh registration salt for this test."""
        return salt_for(f"{title} #{next(_counter)}")

    def song(self, title: str = "song") -> bytes:
        """A fresh, unregistered song id of the artist."""
        return song_id_for(self.artist.address, self.salt(title))

    def register(self, strategy: str, title: str = "song", by: Mycelix | None = None) -> bytes:
        """Register a fresh song of `by` (default: the artist) and return its id."""
        who = by or self.artist
        salt = self.salt(title)
        who.register_song(salt, strategy)
        return who.song_id_of(salt)


def _actors(sdk: Mycelix, chain: Chain) -> Actors:
    accounts = chain.dev_accounts
    clients = [sdk.as_account(a) for a in accounts[:7]]
    actors = Actors(chain, *clients)
    for who in (actors.listener, actors.patron, actors.buyer, actors.stranger):
        who.faucet(Decimal(10_000))
    return actors


@pytest.fixture(scope="session", params=["embedded", "anvil"])
def actors(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Actors]:
    data_dir: Path = tmp_path_factory.mktemp(f"sdk-{request.param}")
    if request.param == "embedded":
        with connect(Settings(data_dir=data_dir), deploy=True) as (sdk, chain):
            yield _actors(sdk, chain)
        return
    require_anvil()
    with (
        run_anvil() as url,
        connect(Settings(data_dir=data_dir, rpc_url=url), deploy=True) as (sdk, chain),
    ):
        yield _actors(sdk, chain)

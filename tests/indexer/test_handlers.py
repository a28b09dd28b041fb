"""Every event the watched contracts can emit is either handled or deliberately ignored, so a
new contract event (a transfer offer, a quarantine) cannot slip past the indexer unnoticed."""

from __future__ import annotations

from mycelix.chain import artifacts
from mycelix.indexer.handlers import HANDLERS, IGNORED, WATCHED


def test_every_event_of_the_watched_contracts_is_handled_or_ignored() -> None:
    emitted = {
        (contract, item["name"])
        for contract in WATCHED
        for item in artifacts.load(contract).abi
        if item.get("type") == "event"
    }
    assert emitted - set(HANDLERS) - IGNORED == set()

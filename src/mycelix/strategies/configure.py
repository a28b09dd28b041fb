"""A strategy folder's configuration transactions (`POST /api/tx/configure_<strategy>`),
prepared like every other action of `mycelix.transactions`: artist of record only, dry-run first
so a refusal answers 409 with the contract's reason."""

from __future__ import annotations

from typing import Any

from mycelix.platform import Platform
from mycelix.transactions import service
from mycelix.transactions.prepare import encode
from mycelix.transactions.schemas import WalletTx


def configure_tx(
    p: Platform,
    who: str,
    song_id: str,
    contract: str,
    fn: str,
    args: list[Any],
    *,
    action: str,
    description: str,
) -> WalletTx:
    """A call of `contract.fn(song_id, *args)` by the song's artist, checked on chain."""
    service.require_artist(p, song_id, who)
    tx = encode(
        p,
        contract,
        fn,
        [bytes.fromhex(song_id[2:]), *args],
        action=action,
        description=description,
        sender=who,
    )
    service.simulate(p, tx)
    return WalletTx.of(tx)

"""Checks and chain reads behind the prepared transactions: who may act on a song, what a
payment will charge, and a dry run that turns a doomed transaction into a clear 409 before
the wallet pays gas for it."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.exceptions import Web3Exception

from mycelix.catalog.repositories import SongRepository
from mycelix.chain.errors import ContractRevert
from mycelix.chain.tx import call_errors
from mycelix.chain.units import PaymentType
from mycelix.errors import Conflict, Forbidden, Missing
from mycelix.platform import Platform
from mycelix.sdk.types import content_salt, song_id_for
from mycelix.strategies import registry
from mycelix.transactions.prepare import PreparedTx


def registered_artist(p: Platform, song_id: str) -> str:
    """The song's artist of record on the router; 404 for a song the chain does not know."""
    artist = p.sdk.song_artist(song_id)
    if artist is None:
        raise Missing(f"song {song_id} is not registered on chain")
    return artist


def require_artist(p: Platform, song_id: str, who: str) -> str:
    """403 unless `who` is the song's artist of record (read from the router)."""
    artist = registered_artist(p, song_id)
    if artist.lower() != who.lower():
        raise Forbidden("only the song's artist of record can do this")
    return artist


def registration_salt(p: Platform, who: str, song_id: str | None, salt: str | None) -> bytes:
    """The salt `who` registers with: the content hash of the audio of a song they described
    here (`song_id`), or the given `salt`. 403 for a song another artist described; 409 if the
    id is already registered (by `who`: ids are derived from the sender, nobody else can)."""
    if salt is not None:
        raw = bytes.fromhex(salt[2:])
        song_id = "0x" + song_id_for(who, raw).hex()
    else:
        assert song_id is not None
        with p.catalog.read() as session:
            song = SongRepository(session).get(song_id)
            artist, audio_cid = (song.artist, song.audio_cid) if song else (None, None)
        if artist is None or audio_cid is None:
            raise Missing(f"song {song_id} was not described here: POST /api/songs, or pass a salt")
        if artist.lower() != who.lower():
            raise Forbidden("that song was described by another artist")
        raw = content_salt(audio_cid)
    if p.sdk.song_artist(song_id) is not None:
        raise Conflict(f"song {song_id} is already registered")
    return raw


def displayed_price(p: Platform, song_id: str) -> int:
    """The price of one play the API shows for a song (`stream_price` in the song listings,
    from the indexed `PriceSet`; 0 where plays are free). 409 where it shows none: a song not
    indexed yet, or a strategy it does not know; the client then passes the price it showed."""
    with p.catalog.read() as session:
        song = SongRepository(session).get(song_id)
        if song is None or song.registration_block is None:
            raise Conflict(
                f"song {song_id} is not indexed yet, so no price was shown for it: pass "
                "max_price, the price you showed",
                "price_unknown",
            )
        indexed, strategy = song.stream_price, song.strategy_name
    known = registry.find(strategy) if strategy else None
    # Free plays show 0 (to whoever the chain lets play them: everyone, patrons, slot
    # holders); the chain refuses the others, which `quote` turns into a 409.
    price = None if known is None else known.shown_price(p, song_id, indexed)
    if price is not None:
        return price
    raise Conflict(
        f"no price is shown for plays under {strategy}: pass max_price, the price you showed",
        "price_unknown",
    )


def quote(p: Platform, song_id: str, payer: str, kind: PaymentType, option: int = 0) -> int:
    """What the router would charge `payer` now (the strategy's price for that payer)."""
    registered_artist(p, song_id)
    fn = p.sdk.router.functions.quote(
        bytes.fromhex(song_id[2:]), Web3.to_checksum_address(payer), int(kind), option
    )
    with call_errors("quote"):
        return int(fn.call())


def simulate(p: Platform, tx: PreparedTx) -> None:
    """Dry-run `tx` from its sender; a revert becomes 409 with the contract's reason."""
    call: dict[str, Any] = {"to": tx.to, "data": tx.data}
    if tx.from_:
        call["from"] = tx.from_
    try:
        with call_errors(tx.action):
            p.chain.w3.eth.call(call)  # type: ignore[arg-type]
    except ContractRevert as exc:
        raise Conflict(f"the transaction would fail: {exc.reason}", "contract_revert") from exc


def allowance(p: Platform, owner: str) -> int:
    fn = p.sdk.token.functions.allowance(Web3.to_checksum_address(owner), p.manifest.router)
    with call_errors("allowance"):
        return int(fn.call())


def faucet_limit(p: Platform) -> int:
    """The FLOW faucet's per-call limit; 0 where there is no faucet (not a dev chain, or an
    external token)."""
    if not p.chain.is_dev or p.manifest.external_token:
        return 0
    try:
        with call_errors("faucet_limit"):
            return int(p.sdk.token.functions.faucet_limit().call())
    except (ContractRevert, Web3Exception):  # a token without a faucet
        return 0

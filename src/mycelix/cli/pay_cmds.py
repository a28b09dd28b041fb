"""`mycelix pay`, `tip`, `subscribe`, `buy` and `withdraw`: a listener's and an artist's money,
through the SDK, signed with the key of the environment or keystore.

Each paying command reads the live price first and offers exactly that price (never more
than it showed, never more than `--max`): a price that rose meanwhile is refused by the
router, not silently paid. What was charged is the signer's balance before minus after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from mycelix.catalog import Catalog
from mycelix.catalog.models import Song
from mycelix.chain.errors import InvalidInput
from mycelix.chain.units import PaymentType
from mycelix.cli.common import DataDir, RpcUrl, settings_from
from mycelix.cli.wallet import (
    JsonFlag,
    MaxFlow,
    command_errors,
    flow_text,
    parse_flow,
    report,
    signing_client,
    tx_hash,
)
from mycelix.config import Settings
from mycelix.sdk.client import Mycelix
from mycelix.sdk.types import address, song_id
from mycelix.strategies import registry


def _patronage() -> list[str]:
    """The strategies an artist's patrons pay through."""
    return registry.taking(PaymentType.PATRONAGE)


SongArg = Annotated[str, typer.Argument(metavar="SONG", help="Song id: 0x and 64 hex digits.")]


def _registered(sdk: Mycelix, song: str) -> bytes:
    sid = song_id(song)
    if sdk.song_artist(sid) is None:
        raise InvalidInput(f"song {song} is not registered on this chain")
    return sid


def _within_max(price: int, limit: str | None, what: str) -> None:
    if limit is not None and price > parse_flow(limit, what="--max"):
        raise InvalidInput(
            f"{what} costs {flow_text(price)} FLOW, above --max {limit} FLOW; nothing was sent"
        )


def pay(
    song: SongArg,
    max_flow: MaxFlow = None,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Pay for one play of a song at its current price.

    The offer is the price shown, so a price raised meanwhile is refused.
    Signs with MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE and its password."""
    settings = settings_from(data_dir, rpc_url)
    with command_errors():
        if max_flow is not None:
            parse_flow(max_flow, what="--max")
        with signing_client(settings) as sdk:
            sid = _registered(sdk, song)
            price = sdk.quote(sid, PaymentType.STREAM)
            _within_max(price, max_flow, "a play")
            before = sdk.flow_balance()
            receipt = sdk.stream(sid, max_price=price)
            charged = before - sdk.flow_balance()
    report(
        as_json,
        {"song": song, "charged_wei": str(charged), "tx": tx_hash(receipt)},
        [f"paid {flow_text(charged)} FLOW for one play of {song}", f"tx {tx_hash(receipt)}"],
    )


def tip(
    song: SongArg,
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="FLOW to give, like 2.5.")],
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Tip a song's collaborators, split like any payment.

    Signs with MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE and its password."""
    settings = settings_from(data_dir, rpc_url)
    with command_errors():
        wei = parse_flow(amount)
        with signing_client(settings) as sdk:
            sid = _registered(sdk, song)
            before = sdk.flow_balance()
            receipt = sdk.tip(sid, wei)
            charged = before - sdk.flow_balance()
    report(
        as_json,
        {"song": song, "charged_wei": str(charged), "tx": tx_hash(receipt)},
        [f"tipped {flow_text(charged)} FLOW to {song}", f"tx {tx_hash(receipt)}"],
    )


def subscribe(
    artist: Annotated[str, typer.Argument(metavar="ARTIST", help="The artist's address.")],
    tier: Annotated[str, typer.Argument(metavar="TIER", help="Tier name, or number from 0.")],
    song: Annotated[
        str | None,
        typer.Option(
            metavar="SONG",
            help="A patronage song of the artist (default: one from the catalogue).",
            show_default=False,
        ),
    ] = None,
    max_flow: MaxFlow = None,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Become, or renew as, an artist's patron at a tier.

    The tier's current fee (after any loyalty discount) is paid through a
    patronage song of the artist: --song, or one this node's catalogue lists.
    Signs with MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE and its password."""
    settings = settings_from(data_dir, rpc_url)
    with command_errors():
        if max_flow is not None:
            parse_flow(max_flow, what="--max")
        who = address(artist)
        with signing_client(settings) as sdk:
            tiers = sdk.tiers(who)
            if not tiers:
                raise InvalidInput(f"artist {who} offers no patron tiers")
            number = _tier_number(tier, [t.name for t in tiers])
            sid = _registered(sdk, song) if song else _patronage_song(settings, sdk, who)
            if sdk.song_artist(sid) != who or sdk.song_strategy(sid) not in _patronage():
                raise InvalidInput(f"song {song} is not a patronage song of {who}")
            fee = sdk.quote(sid, PaymentType.PATRONAGE, number)
            _within_max(fee, max_flow, f"tier {tiers[number].name}")
            before = sdk.flow_balance()
            receipt = sdk.become_patron(sid, number, max_amount=fee)
            charged = before - sdk.flow_balance()
            paid_until = sdk.patron(who).paid_until
    report(
        as_json,
        {
            "artist": who,
            "tier": number,
            "tier_name": tiers[number].name,
            "charged_wei": str(charged),
            "paid_until": paid_until,
            "tx": tx_hash(receipt),
        },
        [
            f"patron of {who} at tier {tiers[number].name}: paid {flow_text(charged)} FLOW, "
            f"access until {paid_until} (unix time)",
            f"tx {tx_hash(receipt)}",
        ],
    )


def _tier_number(tier: str, names: list[str]) -> int:
    if tier.isdigit():
        if int(tier) < len(names):
            return int(tier)
    else:
        lowered = [n.lower() for n in names]
        if tier.lower() in lowered:
            return lowered.index(tier.lower())
    listed = ", ".join(f"{i} {n}" for i, n in enumerate(names))
    raise InvalidInput(f"no tier {tier!r}; the artist's tiers are: {listed}")


def _patronage_song(settings: Settings, sdk: Mycelix, artist: str) -> bytes:
    """A song of `artist` that is on patronage on chain, found through the catalogue."""
    url = settings.catalog_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise InvalidInput(
            f"this node has no catalogue to find a song of {artist} in; name one with --song"
        )
    catalog = Catalog(settings.catalog_url)
    try:
        with catalog.read() as session:
            candidates = session.scalars(
                select(Song.song_id).where(
                    Song.artist == artist.lower(), Song.strategy_name.in_(_patronage())
                )
            ).all()
    except Exception:  # no catalogue here (a wallet-only machine): ask for --song
        candidates = []
    finally:
        catalog.dispose()
    for candidate in candidates:
        sid = song_id(candidate)
        if sdk.song_strategy(sid) in _patronage() and sdk.song_artist(sid) == artist:
            return sid
    raise InvalidInput(
        f"no patronage song of {artist} in this node's catalogue; name one with --song"
    )


def buy(
    song: SongArg,
    max_flow: MaxFlow = None,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Buy one slot of a song's live auction at its current price.

    The purchase names the auction shown, so a replaced auction is refused.
    Signs with MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE and its password."""
    settings = settings_from(data_dir, rpc_url)
    with command_errors():
        if max_flow is not None:
            parse_flow(max_flow, what="--max")
        with signing_client(settings) as sdk:
            sid = _registered(sdk, song)
            auction = sdk.auction(sid)
            if auction.number == 0 or not auction.live:
                raise InvalidInput(f"song {song} has no live auction")
            price = sdk.auction_price(sid)
            _within_max(price, max_flow, f"a slot of auction {auction.number}")
            before = sdk.flow_balance()
            # The number shown: a purchase after the artist replaced the auction reverts
            # instead of buying into an auction nobody looked at.
            receipt = sdk.buy_slot(sid, price, auction_number=auction.number)
            charged = before - sdk.flow_balance()
    report(
        as_json,
        {
            "song": song,
            "auction": auction.number,
            "charged_wei": str(charged),
            "tx": tx_hash(receipt),
        },
        [
            f"bought a slot of auction {auction.number} of {song} for {flow_text(charged)} FLOW",
            f"tx {tx_hash(receipt)}",
        ],
    )


def withdraw(
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Withdraw all of the signer's credited earnings to its wallet.

    Signs with MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE and its password."""
    settings = settings_from(data_dir, rpc_url)
    with command_errors(), signing_client(settings) as sdk:
        owed = sdk.credits()
        if owed == 0:
            raise InvalidInput(f"{sdk.address} has no earnings to withdraw")
        # The SDK's `withdraw` returns the amount only; the receipt is wanted here.
        receipt = sdk.sender.transact(sdk.router.functions.withdraw())
        who = sdk.address
    report(
        as_json,
        {"account": who, "withdrawn_wei": str(owed), "tx": tx_hash(receipt)},
        [f"withdrew {flow_text(owed)} FLOW to {who}", f"tx {tx_hash(receipt)}"],
    )

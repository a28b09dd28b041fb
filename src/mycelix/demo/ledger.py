"""Replay the chain's events into a ledger, and check it against the contracts' state.

The replay applies the router's documented distribution rule to every `Payment` event (fee to
the treasury in force; of the net, every split recipient but the first gets `net * bps // 10000`
and the first gets the rest; an unsplit song pays its artist of record), so it knows who was
credited how much for which song and strategy. The checks then compare three independent
views of the money:

- conservation: the FLOW balances of every account that ever held FLOW, plus the router's,
  add up to FLOW's total supply;
- the router holds exactly what it owes: its balance equals the sum of everyone's credits;
- the replay is exact: for every account, replayed credits minus withdrawals equal the
  router's `credits`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from eth_typing import ChecksumAddress
from web3 import Web3

from mycelix.chain.distribution import split_net
from mycelix.chain.units import PaymentType, from_wei
from mycelix.sdk import ChainEvent, Mycelix
from mycelix.strategies import registry

ZERO = "0x0000000000000000000000000000000000000000"
FREE = "free stream"
SOLD_OUT = 1  # DutchAuction.END_SOLD_OUT


@dataclass
class Ledger:
    since_block: int  # "this run" counters start here
    strategy_of: dict[str, str]  # strategy contract address -> registry name
    artist: dict[bytes, ChecksumAddress] = field(default_factory=dict)
    splits: dict[bytes, list[tuple[ChecksumAddress, int]]] = field(default_factory=dict)
    treasury: ChecksumAddress | None = None
    # (recipient, strategy) -> credited; recipient -> withdrawn
    credited: Counter[tuple[str, str]] = field(default_factory=Counter)
    withdrawn: Counter[str] = field(default_factory=Counter)
    # (artist of record, strategy) -> gross charged / fees
    gross: Counter[tuple[str, str]] = field(default_factory=Counter)
    fees: Counter[tuple[str, str]] = field(default_factory=Counter)
    # this run: (strategy, payment type or "free stream") -> count, strategy -> gross charged
    plays: Counter[tuple[str, str]] = field(default_factory=Counter)
    run_gross: Counter[str] = field(default_factory=Counter)
    cgc_minted: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # this run: named happenings
    holders: set[str] = field(default_factory=set)  # every address that ever held FLOW
    earners: set[str] = field(default_factory=set)  # every address that may hold credits

    def apply(self, event: ChainEvent) -> None:
        handler = _HANDLERS.get((event.contract, event.name))
        if handler is not None:
            handler(self, event)

    def this_run(self, event: ChainEvent) -> bool:
        return event.block_number >= self.since_block

    def owed(self, who: str) -> int:
        """Credited minus withdrawn, by the replay."""
        credited = sum(v for (r, _), v in self.credited.items() if r == who)
        return credited - self.withdrawn[who]

    @property
    def total_fees(self) -> int:
        return sum(self.fees.values())


# ------------------------------------------------------------------- handlers
# `ChainEvent.args` values are typed `object`; these read them as what the ABI says they are.


def _int(e: ChainEvent, name: str) -> int:
    return int(cast(Any, e.args[name]))


def _addr(e: ChainEvent, name: str) -> ChecksumAddress:
    return Web3.to_checksum_address(cast(str, e.args[name]))


def _song(e: ChainEvent) -> bytes:
    return bytes(cast(bytes, e.args["song_id"]))


def _registered(ledger: Ledger, e: ChainEvent) -> None:
    song, artist = _song(e), _addr(e, "artist")
    ledger.artist[song] = artist
    ledger.earners.add(artist)
    if ledger.this_run(e):
        ledger.counts["songs registered"] += 1


def _transferred(ledger: Ledger, e: ChainEvent) -> None:
    _registered(ledger, e)


def _splits(ledger: Ledger, e: ChainEvent) -> None:
    recipients = [Web3.to_checksum_address(r) for r in cast(list[str], e.args["recipients"])]
    shares = cast(list[int], e.args["bps"])
    ledger.splits[_song(e)] = list(zip(recipients, shares, strict=True))
    ledger.earners.update(recipients)


def _treasury(ledger: Ledger, e: ChainEvent) -> None:
    ledger.treasury = _addr(e, "treasury")
    ledger.earners.add(ledger.treasury)


def _payment(ledger: Ledger, e: ChainEvent) -> None:
    song = _song(e)
    strategy = ledger.strategy_of[_addr(e, "strategy").lower()]
    amount, fee = _int(e, "amount"), _int(e, "fee")
    kind = PaymentType(_int(e, "payment_type"))
    artist = ledger.artist[song]
    if ledger.this_run(e):
        ledger.plays[(strategy, kind.name if amount or kind != PaymentType.STREAM else FREE)] += 1
        ledger.run_gross[strategy] += amount
    if amount == 0:
        return
    assert ledger.treasury is not None
    ledger.credited[(ledger.treasury, "protocol fee")] += fee
    ledger.gross[(artist, strategy)] += amount
    ledger.fees[(artist, strategy)] += fee
    net = amount - fee
    for recipient, share in split_net(net, ledger.splits.get(song) or [(artist, 10_000)]):
        ledger.credited[(recipient, strategy)] += share


def _withdrawal(ledger: Ledger, e: ChainEvent) -> None:
    ledger.withdrawn[_addr(e, "recipient")] += _int(e, "amount")
    if ledger.this_run(e):
        ledger.counts["withdrawals"] += 1


def _flow_transfer(ledger: Ledger, e: ChainEvent) -> None:
    for side in ("sender", "receiver"):
        who = _addr(e, side)
        if who != ZERO:
            ledger.holders.add(who)


def _listen_rewarded(ledger: Ledger, e: ChainEvent) -> None:
    ledger.cgc_minted += _int(e, "amount")
    if ledger.this_run(e):
        ledger.counts["gift listens rewarded"] += 1
        ledger.counts["CGC minted (wei)"] += _int(e, "amount")


def _counter(label: str) -> Callable[[Ledger, ChainEvent], None]:
    def count(ledger: Ledger, e: ChainEvent) -> None:
        if ledger.this_run(e):
            ledger.counts[label] += 1

    return count


def _auction_ended(ledger: Ledger, e: ChainEvent) -> None:
    if ledger.this_run(e) and _int(e, "reason") == SOLD_OUT:
        ledger.counts["auctions sold out"] += 1
        ledger.counts["last clearing price (wei)"] = _int(e, "clearing_price")


_HANDLERS: dict[tuple[str, str], Callable[[Ledger, ChainEvent], None]] = {
    ("EconomicStrategyRouter", "SongRegistered"): _registered,
    ("EconomicStrategyRouter", "SongTransferred"): _transferred,
    ("EconomicStrategyRouter", "SplitsConfigured"): _splits,
    ("EconomicStrategyRouter", "TreasuryChanged"): _treasury,
    ("EconomicStrategyRouter", "Payment"): _payment,
    ("EconomicStrategyRouter", "Withdrawal"): _withdrawal,
    ("FlowToken", "Transfer"): _flow_transfer,
    ("GiftEconomy", "ListenRewarded"): _listen_rewarded,
    ("Patronage", "PatronJoined"): _counter("patrons joined"),
    ("Patronage", "PatronRenewed"): _counter("patronages renewed"),
    ("Patronage", "PatronCancelled"): _counter("patronages cancelled"),
    ("DutchAuction", "SlotPurchased"): _counter("auction slots sold"),
    ("DutchAuction", "AuctionEnded"): _auction_ended,
}


def replay(sdk: Mycelix, since_block: int) -> Ledger:
    """Read every event of the deployment, in chain order, into a ledger."""
    strategy_of = {
        sdk.manifest.addresses[c].lower(): name for c, name in registry.contracts().items()
    }
    ledger = Ledger(since_block=since_block, strategy_of=strategy_of)
    for event in sdk.events():
        ledger.apply(event)
    return ledger


# --------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check(sdk: Mycelix, ledger: Ledger, known: Iterable[str]) -> list[Check]:
    """The conservation checks, over every account the events name plus `known` ones."""
    router = sdk.manifest.router
    involved = sorted((ledger.holders | ledger.earners | set(known)) - {router, ZERO})
    supply = int(sdk.token.functions.totalSupply().call())
    router_balance = sdk.flow_balance(router)
    balances = sum(sdk.flow_balance(a) for a in involved)
    credits = {a: sdk.credits(a) for a in involved}
    owed = sum(credits.values())
    mismatched = [a for a in involved if ledger.owed(a) != credits[a]]
    return [
        Check(
            "FLOW conserved",
            balances + router_balance == supply,
            f"{len(involved)} accounts hold {_flow(balances)}, the router {_flow(router_balance)}; "
            f"sum {_flow(balances + router_balance)} {_eq(balances + router_balance, supply)} "
            f"total supply {_flow(supply)} FLOW",
        ),
        Check(
            "router holds what it owes",
            router_balance == owed,
            f"balance {_flow(router_balance)} {_eq(router_balance, owed)} "
            f"credits {_flow(owed)} FLOW",
        ),
        Check(
            "event replay exact",
            not mismatched,
            f"credits of {len(involved) - len(mismatched)}/{len(involved)} accounts "
            "reproduced from the events"
            + (f"; differ: {', '.join(mismatched)}" if mismatched else ""),
        ),
    ]


def _eq(a: int, b: int) -> str:
    return "=" if a == b else "≠"


def _flow(wei: int) -> str:
    return f"{from_wei(wei):,f}"

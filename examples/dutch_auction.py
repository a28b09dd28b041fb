"""Dutch auction: a limited release of N access slots at a price that falls over time.

    python examples/dutch_auction.py [DATA_DIR]

Without DATA_DIR it runs on a fresh embedded chain in a temporary directory (set
MYCELIX_RPC_URL to use a dev node such as anvil instead).

Rules shown here: the price falls linearly from the start price to the floor; each buyer states
the most they will pay; one slot per address; the auction ends when it sells out; slot holders
stream for free, for good; the proceeds are split like any payment. The price falls every
second, so a purchase a few seconds after a round hour pays a hair under the round figure.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import (
    ContractRevert,
    PaymentType,
    Role,
    Split,
    connect,
    flow,
    salt_for,
    song_id_for,
)

WEI = 10**18
HOUR = 3_600


def refusal(action: Callable[[], object]) -> str:
    """The contracts' reason for refusing `action`, which must be refused."""
    try:
        action()
    except ContractRevert as refused:
        return refused.reason
    raise AssertionError("the contracts accepted what they should refuse")


def price(wei: int) -> str:
    return f"{(Decimal(wei) / WEI).quantize(Decimal('0.0001'))} FLOW"


def run(data_dir: Path) -> None:
    with connect(Settings.from_env(data_dir=data_dir), deploy=True) as (sdk, chain):
        artist, label = sdk.as_account(chain.dev_accounts[5]), sdk.as_account(chain.dev_accounts[6])
        early, patient, bargain, late = (
            sdk.as_account(chain.dev_accounts[i]) for i in (7, 8, 9, 1)
        )

        title = f"Limited Pressing #{sdk.w3.eth.block_number}"  # a new song on every run
        artist.register_song(salt_for(title), "dutch-auction-v1")  # the router derives the id
        song = song_id_for(artist.address, salt_for(title))
        artist.configure_splits(
            song,
            [Split(artist.address, 8_000, Role.ARTIST), Split(label.address, 2_000, Role.LABEL)],
        )
        artist.create_auction(
            song, start_price=flow(10), floor_price=flow(2), duration=8 * HOUR, slots=3
        )
        print(f"The artist auctions 3 access slots of “{title}”,")
        print("starting at 10 FLOW and falling to 2 FLOW over 8 hours.")

        for buyer in (early, patient, bargain):
            buyer.faucet(flow(20))
        credits_before = artist.credits() + label.credits()

        paid = []  # each slot's price: the auction's clearing (latest) price after each sale
        early.buy_slot(song, max_price=flow(10))
        paid.append(sdk.auction(song).clearing_price)
        print(f"A keen fan buys the first slot at once, for {price(paid[-1])}.")

        chain.advance_time(2 * HOUR)
        patient.buy_slot(song, max_price=flow("8.5"))
        paid.append(sdk.auction(song).clearing_price)
        print(f"Two hours later the price is down: a second fan pays {price(paid[-1])}.")

        reason = refusal(lambda: bargain.buy_slot(song, max_price=flow(5)))
        now = price(sdk.auction_price(song))
        print(f"A bargain hunter offers at most 5 FLOW while it is {now}: {reason}.")
        chain.advance_time(3 * HOUR)
        bargain.buy_slot(song, max_price=flow(5))
        state = sdk.auction(song)
        paid.append(state.clearing_price)
        print(f"Three hours later they buy the last slot for {price(paid[-1])}: sold out.")

        # `quote` says what a slot would cost this account now, or why it cannot have one.
        sold_out = refusal(lambda: late.quote(song, PaymentType.ACCESS))
        print(f"Someone arriving now is told: {sold_out}.")

        for holder in (early, patient, bargain):
            holder.stream(song)  # free for slot holders, for good
        print(f"Slot holders play it for free. Average price paid: {price(state.average_price)}.")

        # Check: three slots sold, the auction is over, proceeds split after the protocol fee.
        credited = artist.credits() + label.credits() - credits_before
        fee_bps = sdk.protocol_fee_bps()
        assert state.sold == 3 and not state.live
        assert paid[0] > paid[1] > paid[2] >= 2 * WEI and paid[2] <= 5 * WEI
        assert all(sdk.is_authorized(song, h.address) for h in (early, patient, bargain))
        assert not sdk.is_authorized(song, late.address)
        assert state.revenue == sum(paid)
        assert credited == sum(p - p * fee_bps // 10_000 for p in paid)
        print(
            f"OK: 3 slots sold for {price(state.revenue)}, {price(credited)} credited after fees."
        )


def main() -> None:
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory(prefix="mycelix-example-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()

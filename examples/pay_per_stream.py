"""Pay-per-stream: every play is paid, and each payment is split among the song's collaborators.

    python examples/pay_per_stream.py [DATA_DIR]

Without DATA_DIR it runs on a fresh embedded chain in a temporary directory (set
MYCELIX_RPC_URL to use a dev node such as anvil instead).
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import Role, Split, connect, flow, salt_for, song_id_for

WEI = 10**18


def show(wei: int) -> str:
    return f"{(Decimal(wei) / WEI).normalize():f} FLOW"


def run(data_dir: Path) -> None:
    with connect(Settings.from_env(data_dir=data_dir), deploy=True) as (sdk, chain):
        # One client per actor; dev accounts 5-7 are funded with gas on every dev chain.
        artist, producer, listener = (sdk.as_account(chain.dev_accounts[i]) for i in (5, 6, 7))

        # The artist registers a song and sets its splits and price. (The block number in the
        # title gives every run its own song, so the example can run again on the same chain.)
        title = f"Night Bus #{sdk.w3.eth.block_number}"
        artist.register_song(salt_for(title), "pay-per-stream-v1")  # the router derives the id
        song = song_id_for(artist.address, salt_for(title))
        artist.configure_splits(
            song,
            [
                Split(artist.address, 7_000, Role.ARTIST),
                Split(producer.address, 3_000, Role.PRODUCER),
            ],
        )
        price = flow("0.02")
        artist.set_price(song, price)
        print(f"The artist registers “{title}”: pay-per-stream at {price} FLOW a play,")
        print("split 70 % to the artist and 30 % to the producer.")

        fee, shares = sdk.preview_splits(song, price)
        print(f"One play pays {show(fee)} protocol fee, {show(shares[0].amount)} to the artist "
              f"and {show(shares[1].amount)} to the producer.")  # fmt: skip

        # The listener takes FLOW from the dev faucet, plays the song three times and tips.
        listener.faucet(flow(10))
        before = {who.address: who.credits() for who in (artist, producer)}
        spent_before = listener.flow_balance()
        for _ in range(3):
            listener.stream(song)
        tip = flow("0.5")
        listener.tip(song, tip)
        spent = spent_before - listener.flow_balance()
        print(f"The listener plays it 3 times and tips {tip} FLOW: {show(spent)} spent.")

        earned = {who.address: who.credits() - before[who.address] for who in (artist, producer)}
        print(f"Credited: {show(earned[artist.address])} to the artist, "
              f"{show(earned[producer.address])} to the producer.")  # fmt: skip

        # Earnings are credited; each collaborator withdraws whenever they like.
        withdrawn = producer.withdraw()
        print(f"The producer withdraws {show(withdrawn)}; the artist leaves theirs credited.")

        # Check: the listener paid exactly 3 plays and the tip, and the split is exact.
        assert Decimal(spent) / WEI == 3 * price + tip
        tip_fee, tip_shares = sdk.preview_splits(song, tip)
        assert earned[artist.address] == 3 * shares[0].amount + tip_shares[0].amount
        assert earned[producer.address] == 3 * shares[1].amount + tip_shares[1].amount
        assert sum(earned.values()) + 3 * fee + tip_fee == spent
        assert producer.credits() == 0
        print("OK: every FLOW the listener spent is credited to the collaborators or the treasury.")


def main() -> None:
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory(prefix="mycelix-example-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()

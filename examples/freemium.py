"""Freemium: each listener's first plays of a song are free (counted on chain), then every play
is paid and split among the song's collaborators.

    python examples/freemium.py [DATA_DIR]

Without DATA_DIR it runs on a fresh embedded chain in a temporary directory (set
MYCELIX_RPC_URL to use a dev node such as anvil instead).
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import PaymentType, Role, Split, connect, flow, salt_for, song_id_for
from mycelix.strategies.freemium import sdk as freemium

WEI = 10**18


def show(wei: int) -> str:
    return f"{(Decimal(wei) / WEI).normalize():f} FLOW"


def run(data_dir: Path) -> None:
    with connect(Settings.from_env(data_dir=data_dir), deploy=True) as (sdk, chain):
        artist, producer, listener, newcomer = (
            sdk.as_account(chain.dev_accounts[i]) for i in (5, 6, 7, 8)
        )

        # The artist registers a song: two free plays per listener, then 0.03 FLOW a play.
        title = f"Open Door #{sdk.w3.eth.block_number}"
        artist.register_song(salt_for(title), "freemium-v1")  # the router derives the id
        song = song_id_for(artist.address, salt_for(title))
        artist.configure_splits(
            song,
            [
                Split(artist.address, 8_000, Role.ARTIST),
                Split(producer.address, 2_000, Role.PRODUCER),
            ],
        )
        price = flow("0.03")
        freemium.configure(artist, song, 2, price)
        print(f"The artist registers “{title}”: 2 free plays per listener, then {price} FLOW.")

        # The listener plays four times: two free, two paid.
        listener.faucet(flow(1))
        before = listener.flow_balance()
        charges = []
        for _ in range(4):
            quoted = listener.quote(song, PaymentType.STREAM)
            listener.stream(song)
            charges.append(quoted)
        spent = before - listener.flow_balance()
        print("The listener plays it 4 times: " + ", ".join(show(c) for c in charges) + ".")
        left = freemium.free_plays_left(listener, song)
        print(f"Free plays left to them: {left}; a newcomer still has "
              f"{freemium.free_plays_left(newcomer, song)}.")  # fmt: skip

        # A newcomer still gets their own free plays.
        newcomer.stream(song)
        print("A newcomer plays it once, free.")

        fee, shares = sdk.preview_splits(song, price)
        print(f"Each paid play: {show(fee)} fee, {show(shares[0].amount)} to the artist, "
              f"{show(shares[1].amount)} to the producer.")  # fmt: skip

        assert charges == [0, 0, price * WEI, price * WEI]
        assert Decimal(spent) / WEI == 2 * price
        assert left == 0 and freemium.free_plays_left(newcomer, song) == 1
        print("OK: plays 1-2 were free, plays 3-4 paid the price, each listener has their own.")


def main() -> None:
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory(prefix="mycelix-example-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()

"""Gift economy: listening is free and earns the listener CGC gift credits; tips are split.

    python examples/gift_economy.py [DATA_DIR]

Without DATA_DIR it runs on a fresh embedded chain in a temporary directory (set
MYCELIX_RPC_URL to use a dev node such as anvil instead).

Rules shown here: a listen earns CGC at most once per song per listener per hour (anti-farming),
the first listeners of a song get an early bonus, and a tip is split among the collaborators
like any payment.
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import Role, Split, connect, flow, salt_for, song_id_for

WEI = 10**18
HOUR = 3_600


def cgc(wei: int) -> str:
    return f"{(Decimal(wei) / WEI).normalize():f} CGC"


def flow_(wei: int) -> str:
    return f"{(Decimal(wei) / WEI).normalize():f} FLOW"


def run(data_dir: Path) -> None:
    with connect(Settings.from_env(data_dir=data_dir), deploy=True) as (sdk, chain):
        artist, featured, listener = (sdk.as_account(chain.dev_accounts[i]) for i in (5, 6, 8))

        title = f"Rain Choir #{sdk.w3.eth.block_number}"  # a new song on every run
        artist.register_song(salt_for(title), "gift-economy-v1")  # the router derives the id
        song = song_id_for(artist.address, salt_for(title))
        artist.configure_splits(
            song,
            [
                Split(artist.address, 8_000, Role.ARTIST),
                Split(featured.address, 2_000, Role.FEATURED),
            ],
        )
        # 2 CGC a listen, 10 CGC more for each of the first 3 listeners, x1.5 from the 6th listen.
        artist.configure_gift(
            song,
            cgc_per_listen=flow(2),
            early_bonus=flow(10),
            early_threshold=3,
            repeat_multiplier_bps=15_000,
        )
        print(f"The artist registers “{title}” as a gift-economy song: free to play,")
        print("2 CGC a listen, a 10 CGC bonus for the first 3 listeners.")

        start = listener.cgc_balance()

        listener.stream(song)  # charged nothing
        first = listener.cgc_balance() - start
        print(f"The listener plays it for free and earns {cgc(first)} (with the early bonus).")

        listener.stream(song)
        again = listener.cgc_balance() - start - first
        print(f"Playing it again straight away earns {cgc(again)}: at most one reward an hour.")

        chain.advance_time(HOUR + 1)  # dev chains can move time forward
        listener.stream(song)
        later = listener.cgc_balance() - start - first - again
        print(f"An hour later, another play earns {cgc(later)}.")

        # Tips are split like any payment; the tip itself came within the hour, so no CGC.
        listener.faucet(flow(5))
        before = (artist.credits(), featured.credits())
        tip = flow(1)
        listener.tip(song, tip)
        fee, _ = sdk.preview_splits(song, tip)
        to_artist, to_featured = artist.credits() - before[0], featured.credits() - before[1]
        print(f"The listener tips {tip} FLOW: {flow_(to_artist)} to the artist, "
              f"{flow_(to_featured)} to the featured singer, {flow_(fee)} fee.")  # fmt: skip

        profile = listener.gift_profile(song)
        print(f"The listener has {profile.listens} rewarded listens of this song and "
              f"{cgc(profile.total_earned)} earned from it.")  # fmt: skip

        # Check: 12 + 0 + 2 CGC, and the tip fully accounted for.
        assert (first, again, later) == (12 * WEI, 0, 2 * WEI)
        assert profile.listens == 2 and profile.total_earned == 14 * WEI and profile.early
        assert to_artist + to_featured + fee == 1 * WEI
        assert to_featured == (1 * WEI - fee) * 2_000 // 10_000
        print("OK: free listens earned CGC once per hour, and the tip was split exactly.")


def main() -> None:
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory(prefix="mycelix-example-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()

"""Pay what you want: the listener chooses what a play is worth, at or above the artist's
minimum (which may be zero); the artist suggests an amount. Every payment is split.

    python examples/pay_what_you_want.py [DATA_DIR]

Without DATA_DIR it runs on a fresh embedded chain in a temporary directory (set
MYCELIX_RPC_URL to use a dev node such as anvil instead).
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import ContractRevert, Role, Split, connect, flow, salt_for, song_id_for
from mycelix.strategies.pay_what_you_want import sdk as pwyw

WEI = 10**18


def show(wei: int) -> str:
    return f"{(Decimal(wei) / WEI).normalize():f} FLOW"


def run(data_dir: Path) -> None:
    with connect(Settings.from_env(data_dir=data_dir), deploy=True) as (sdk, chain):
        artist, singer, fan, student = (sdk.as_account(chain.dev_accounts[i]) for i in (5, 6, 7, 8))

        title = f"Your Price #{sdk.w3.eth.block_number}"
        artist.register_song(salt_for(title), "pay-what-you-want-v1")  # the router derives the id
        song = song_id_for(artist.address, salt_for(title))
        artist.configure_splits(
            song,
            [
                Split(artist.address, 6_000, Role.ARTIST),
                Split(singer.address, 4_000, Role.FEATURED),
            ],
        )
        # At first the minimum is 0: a play may be free, and is recorded as a payment of 0.
        print(f"The artist registers “{title}”; listeners pay what they want "
              f"(suggested {show(pwyw.suggested(artist, song))}).")  # fmt: skip
        pwyw.pay(student, song, 0)
        print("A student plays it for free.")

        # Then the artist asks at least 0.005 FLOW and suggests 0.05.
        pwyw.configure(artist, song, flow("0.005"), flow("0.05"))
        try:
            pwyw.pay(student, song, 0)
            refused = ""
        except ContractRevert as exc:
            refused = exc.reason
        print(f"With a minimum of 0.005 FLOW a free play is refused: “{refused}”.")

        fan.faucet(flow(1))
        before = {who.address: who.credits() for who in (artist, singer)}
        spent_before = fan.flow_balance()
        chosen = flow("0.2")
        pwyw.pay(fan, song, chosen)
        spent = spent_before - fan.flow_balance()
        earned = {who.address: who.credits() - before[who.address] for who in (artist, singer)}
        print(f"A fan pays {chosen} FLOW: {show(earned[artist.address])} to the artist, "
              f"{show(earned[singer.address])} to the singer.")  # fmt: skip

        fee, shares = sdk.preview_splits(song, chosen)
        assert refused == "pwyw: payment below minimum"
        assert Decimal(spent) / WEI == chosen
        assert [earned[artist.address], earned[singer.address]] == [s.amount for s in shares]
        assert sum(earned.values()) + fee == spent
        print("OK: each play charged exactly what the listener chose, split exactly.")


def main() -> None:
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory(prefix="mycelix-example-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()

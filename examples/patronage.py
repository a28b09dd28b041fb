"""Patronage: a monthly fee for an artist's catalogue, with loyalty discounts and patron-only songs.

    python examples/patronage.py [DATA_DIR]

Without DATA_DIR it runs on a fresh embedded chain in a temporary directory (set
MYCELIX_RPC_URL to use a dev node such as anvil instead).

Rules shown here: periods are 30 days; a renewal is accepted from the paid-until date through a
7-day grace period and keeps the patron's loyalty (level 2 after 90 days: 5 % off by default);
a patron-only song opens only to active patrons of a tier with exclusive content.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from mycelix.config import Settings
from mycelix.sdk import ContractRevert, PaymentType, Tier, connect, flow, salt_for, song_id_for

WEI = 10**18
DAY = 86_400


def refusal(action: Callable[[], object]) -> str:
    """The contracts' reason for refusing `action`, which must be refused."""
    try:
        action()
    except ContractRevert as refused:
        return refused.reason
    raise AssertionError("the contracts accepted what they should refuse")


def run(data_dir: Path) -> None:
    with connect(Settings.from_env(data_dir=data_dir), deploy=True) as (sdk, chain):
        artist, fan = sdk.as_account(chain.dev_accounts[5]), sdk.as_account(chain.dev_accounts[9])

        def days_left() -> float:
            now = sdk.w3.eth.get_block("latest")["timestamp"]
            return (fan.patron(artist.address).paid_until - now) / DAY

        # The artist's tiers (fees in wei) and two songs: one public, one for patrons only.
        artist.configure_patronage(
            [Tier("Supporter", 2 * WEI), Tier("Inner circle", 5 * WEI, exclusive=True)]
        )
        block = sdk.w3.eth.block_number  # in the titles: a new pair of songs on every run
        salts = [salt_for(f"Letters #{block}"), salt_for(f"Demos #{block}")]
        for salt in salts:
            artist.register_song(salt, "patronage-v1")  # the router derives the ids
        letters, demos = (song_id_for(artist.address, salt) for salt in salts)
        artist.set_patron_only(demos)
        print(
            "The artist offers two tiers: Supporter at 2 FLOW and Inner circle at 5 FLOW a month;"
        )
        print("“Letters” is open to everyone, “Demos” only to Inner circle patrons.")

        print(f"A fan tries to play “Demos” and is refused: {refusal(lambda: fan.stream(demos))}.")

        fan.faucet(flow(50))
        spent_before = fan.flow_balance()
        fan.become_patron(letters, tier=1)  # any of the artist's songs on this strategy
        fan.stream(demos)
        print(f"The fan joins the Inner circle for 5 FLOW ({days_left():.0f} days): “Demos” plays.")

        too_early = refusal(lambda: fan.renew_patronage(letters, tier=1))
        print(f"Renewing right away is refused: {too_early}.")

        # Renew every 30 days; from day 90 on the loyalty level is 2 and the fee 5 % lower.
        for month in (1, 2, 3):
            chain.advance_time(30 * DAY)
            quote = fan.quote(letters, PaymentType.PATRONAGE, 1)  # what renewing tier 1 costs now
            fan.renew_patronage(letters, tier=1)
            level = fan.patron(artist.address).level
            paid = Decimal(quote) / WEI
            print(f"Day {30 * month}: renewed at loyalty level {level} for {paid} FLOW.")

        # The fan stops paying: access lasts through paid-until plus 7 days of grace, then ends.
        chain.advance_time(30 * DAY + 8 * DAY)
        state = fan.patron(artist.address)
        print(f"The fan stops paying; 38 days later their patronage is active: {state.active}.")
        print(f"“Demos” is closed to them again: {refusal(lambda: fan.stream(demos))}.")

        # Check: 5 + 5 + 5 + 4.75 FLOW paid, and access ended with the patronage.
        spent = Decimal(spent_before - fan.flow_balance()) / WEI
        assert spent == Decimal("19.75"), spent
        assert not state.active and not fan.is_authorized(demos)
        assert fan.is_authorized(letters)
        print(
            f"OK: {spent} FLOW for four months with the loyalty discount; access followed payment."
        )


def main() -> None:
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory(prefix="mycelix-example-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()

"""`mycelix pay`, `tip`, `subscribe`, `buy`, `withdraw` run as a new user would: deploy, set a
key in the environment, run the command; the chain shows the effect, and every refusal is one
line, a non-zero exit and no change to balances or credits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from mycelix.sdk import Tier, salt_for
from tests.cli.node import ARTIST, LISTENER, deployed, one_error_line, run, sdk

ARTIST_KEY, LISTENER_KEY, STRANGER_KEY = 1, 2, 5
ONE = 10**18


@dataclass
class Node:
    data_dir: Path
    stream_song: str
    patron_song: str
    auction_song: str

    def state(self) -> tuple[int, int, int]:
        """Listener's balance, artist's credits, artist's balance: what a refusal must keep."""
        with sdk(self.data_dir) as client:
            return (
                client.flow_balance(LISTENER.address),
                client.credits(ARTIST.address),
                client.flow_balance(ARTIST.address),
            )


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    data_dir = deployed(tmp_path_factory.mktemp("cli-pay"))
    with sdk(data_dir, ARTIST_KEY) as artist:
        artist.as_account(LISTENER).faucet(Decimal(1_000))
        ids = []
        for title, strategy in (
            ("stream", "pay-per-stream-v1"),
            ("patron", "patronage-v1"),
            ("auction", "dutch-auction-v1"),
        ):
            artist.register_song(salt_for(title), strategy)
            ids.append("0x" + artist.song_id_of(salt_for(title)).hex())
        artist.set_price(ids[0], Decimal("0.5"))
        artist.configure_patronage([Tier("fan", 2 * ONE), Tier("inner", 5 * ONE, True)])
        artist.create_auction(
            ids[2], start_price=3 * ONE, floor_price=ONE, duration=86_400, slots=5
        )
    yield Node(data_dir, *ids)


def test_pay_charges_the_shown_price_and_credits_the_artist(node: Node) -> None:
    listener_before, credits_before, _ = node.state()
    result = run(node.data_dir, "pay", node.stream_song, "--max", "0.5", key=LISTENER_KEY)
    assert result.exit_code == 0, result.output
    assert f"paid 0.5 FLOW for one play of {node.stream_song}" in result.output
    assert "tx 0x" in result.output
    listener_after, credits_after, _ = node.state()
    assert listener_before - listener_after == ONE // 2
    assert credits_after > credits_before  # the artist's share, less the protocol fee


def test_pay_json_is_one_object_for_scripts(node: Node) -> None:
    result = run(node.data_dir, "pay", node.stream_song, "--json", key=LISTENER_KEY)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["charged_wei"] == str(ONE // 2) and data["tx"].startswith("0x")


def test_pay_refuses_a_price_above_max_and_sends_nothing(node: Node) -> None:
    before = node.state()
    result = run(node.data_dir, "pay", node.stream_song, "--max", "0.49", key=LISTENER_KEY)
    assert result.exit_code == 1
    one_error_line(result, "a play costs 0.5 FLOW, above --max 0.49 FLOW; nothing was sent")
    assert node.state() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "is not a FLOW amount"),
        ("1e-3", "is not a FLOW amount"),
        ("-1", "must not be negative"),
        ("0.1000000000000000055511151231257827", "has more than 18 decimals"),
    ],
)
def test_pay_refuses_a_malformed_max(node: Node, value: str, message: str) -> None:
    before = node.state()
    result = run(node.data_dir, "pay", node.stream_song, "--max", value, key=LISTENER_KEY)
    assert result.exit_code == 2
    one_error_line(result, message)
    assert node.state() == before


def test_pay_refuses_bad_and_unknown_song_ids(node: Node) -> None:
    before = node.state()
    bad = run(node.data_dir, "pay", "0x12", key=LISTENER_KEY)
    assert bad.exit_code == 1
    one_error_line(bad, "Invalid song ID format")
    unknown = run(node.data_dir, "pay", "0x" + "ab" * 32, key=LISTENER_KEY)
    assert unknown.exit_code == 1
    one_error_line(unknown, "is not registered on this chain")
    assert node.state() == before


def test_pay_refuses_a_bad_key_or_a_keystore_without_password(node: Node) -> None:
    before = node.state()
    bad_key = run(node.data_dir, "pay", node.stream_song, MYCELIX_PRIVATE_KEY="0xzz")
    assert bad_key.exit_code == 1
    one_error_line(bad_key, "MYCELIX_PRIVATE_KEY is not a valid private key")
    keystore = node.data_dir / "keystore.json"
    keystore.write_text("{}")
    no_password = run(node.data_dir, "pay", node.stream_song, MYCELIX_KEYSTORE=str(keystore))
    assert no_password.exit_code == 1
    one_error_line(no_password, "MYCELIX_KEYSTORE is set but MYCELIX_KEYSTORE_PASSWORD is not")
    assert node.state() == before


def test_wallet_commands_need_a_deployment(tmp_path: Path) -> None:
    result = run(tmp_path, "pay", "0x" + "ab" * 32, key=LISTENER_KEY)
    assert result.exit_code == 1
    one_error_line(result, "run `mycelix deploy` first")
    assert not (tmp_path / "deployment.json").exists()


def test_tip_gives_the_amount(node: Node) -> None:
    listener_before, credits_before, _ = node.state()
    result = run(node.data_dir, "tip", node.stream_song, "2.5", key=LISTENER_KEY)
    assert result.exit_code == 0, result.output
    assert f"tipped 2.5 FLOW to {node.stream_song}" in result.output
    listener_after, credits_after, _ = node.state()
    assert listener_before - listener_after == 5 * ONE // 2
    assert credits_after > credits_before


def test_tip_refuses_zero_and_non_numbers(node: Node) -> None:
    before = node.state()
    zero = run(node.data_dir, "tip", node.stream_song, "0", key=LISTENER_KEY)
    assert zero.exit_code == 1
    one_error_line(zero, "Amount must be greater than 0")
    word = run(node.data_dir, "tip", node.stream_song, "lots", key=LISTENER_KEY)
    assert word.exit_code == 2
    one_error_line(word, "'lots' is not a FLOW amount")
    assert node.state() == before


def test_subscribe_pays_the_tier_fee(node: Node) -> None:
    listener_before, _, _ = node.state()
    result = run(
        node.data_dir,
        "subscribe",
        ARTIST.address,
        "fan",
        "--song",
        node.patron_song,
        "--max",
        "2",
        "--json",
        key=LISTENER_KEY,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tier_name"] == "fan" and data["charged_wei"] == str(2 * ONE)
    listener_after, _, _ = node.state()
    assert listener_before - listener_after == 2 * ONE
    with sdk(node.data_dir) as client:
        patron = client.patron(ARTIST.address, LISTENER.address)
        assert patron.active and patron.tier == 0 and patron.paid_until == data["paid_until"]


def test_subscribe_refuses_an_unknown_tier_and_a_fee_above_max(node: Node) -> None:
    # A stranger who was never a patron: a renewal would be refused as too early instead.
    before = node.state()
    args = ("subscribe", ARTIST.address)
    unknown = run(node.data_dir, *args, "gold", "--song", node.patron_song, key=STRANGER_KEY)
    assert unknown.exit_code == 1
    one_error_line(unknown, "no tier 'gold'; the artist's tiers are: 0 fan, 1 inner")
    dear = run(
        node.data_dir, *args, "1", "--song", node.patron_song, "--max", "4", key=STRANGER_KEY
    )
    assert dear.exit_code == 1
    one_error_line(dear, "tier inner costs 5 FLOW, above --max 4 FLOW")
    not_patronage = run(node.data_dir, *args, "0", "--song", node.stream_song, key=STRANGER_KEY)
    assert not_patronage.exit_code == 1
    one_error_line(not_patronage, "is not a patronage song of")
    no_catalogue_song = run(node.data_dir, *args, "0", key=STRANGER_KEY)
    assert no_catalogue_song.exit_code == 1
    one_error_line(no_catalogue_song, "name one with --song")
    assert node.state() == before


def test_buy_takes_a_slot_of_the_auction_it_showed(node: Node) -> None:
    with sdk(node.data_dir) as client:
        sold = client.auction(node.auction_song).sold
    listener_before, _, _ = node.state()
    result = run(node.data_dir, "buy", node.auction_song, "--max", "3", key=LISTENER_KEY)
    assert result.exit_code == 0, result.output
    assert f"bought a slot of auction 1 of {node.auction_song} for" in result.output
    listener_after, _, _ = node.state()
    with sdk(node.data_dir) as client:
        auction = client.auction(node.auction_song)
        assert auction.sold == sold + 1
    assert ONE <= listener_before - listener_after <= 3 * ONE


def test_buy_refuses_above_max_and_songs_without_auction(node: Node) -> None:
    before = node.state()
    dear = run(node.data_dir, "buy", node.auction_song, "--max", "0.5", key=LISTENER_KEY)
    assert dear.exit_code == 1
    one_error_line(dear, "a slot of auction 1 costs")
    none = run(node.data_dir, "buy", node.stream_song, key=LISTENER_KEY)
    assert none.exit_code == 1
    one_error_line(none, "has no live auction")
    assert node.state() == before


def test_withdraw_moves_the_credits_and_then_has_nothing_left(node: Node) -> None:
    run(node.data_dir, "tip", node.stream_song, "1", key=LISTENER_KEY)
    _, credits, balance = node.state()
    assert credits > 0
    result = run(node.data_dir, "withdraw", "--json", key=ARTIST_KEY)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["withdrawn_wei"] == str(credits)
    after = node.state()
    assert after[1:] == (0, balance + credits)
    again = run(node.data_dir, "withdraw", key=ARTIST_KEY)
    assert again.exit_code == 1
    one_error_line(again, f"{ARTIST.address} has no earnings to withdraw")
    assert node.state() == after


def test_tip_signs_with_a_keystore(node: Node, tmp_path: Path) -> None:
    from eth_account import Account

    from tests.cli.node import key_of

    keystore = tmp_path / "listener.json"
    keystore.write_text(json.dumps(Account.encrypt(key_of(LISTENER_KEY), "listener secret")))
    listener_before, _, _ = node.state()
    environ = {"MYCELIX_KEYSTORE": str(keystore), "MYCELIX_KEYSTORE_PASSWORD": "listener secret"}
    result = run(node.data_dir, "tip", node.stream_song, "1", **environ)
    assert result.exit_code == 0, result.output
    assert node.state()[0] == listener_before - ONE
    wrong = {**environ, "MYCELIX_KEYSTORE_PASSWORD": "guess"}
    refused = run(node.data_dir, "tip", node.stream_song, "1", **wrong)
    assert refused.exit_code == 1
    one_error_line(refused, f"cannot decrypt keystore {keystore}")
    assert node.state()[0] == listener_before - ONE


def test_the_installed_command_pays_and_refuses_like_the_runner(node: Node) -> None:
    """The `mycelix` executable itself, in a fresh process with only the environment."""
    import os
    import subprocess
    import sys

    from tests.cli.node import key_of

    mycelix = Path(sys.executable).with_name("mycelix")
    environ = {**os.environ, "MYCELIX_PRIVATE_KEY": key_of(LISTENER_KEY)}
    args = [str(mycelix), "pay", node.stream_song, "--data-dir", str(node.data_dir)]
    before = node.state()
    refused = subprocess.run([*args, "--max", "0.1"], env=environ, capture_output=True, text=True)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "error: a play costs 0.5 FLOW, above --max 0.1 FLOW; nothing was sent"
    ]
    assert node.state() == before
    paid = subprocess.run([*args, "--json"], env=environ, capture_output=True, text=True)
    assert paid.returncode == 0, paid.stderr
    assert json.loads(paid.stdout)["charged_wei"] == str(ONE // 2)
    assert node.state()[0] == before[0] - ONE // 2

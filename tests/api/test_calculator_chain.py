"""The earnings calculator (`POST /api/strategies/{name}/calculator`) against what the chain
actually charges: a scripted sequence of plays, tips, a patron joining and a slot bought on
the embedded chain through the SDK, then the calculator asked for the same month. Its gross
must equal what the payers' FLOW balances lost, its fee what the treasury was credited, its
shares what each recipient was credited, and its CGC what the listeners were minted — the
chain is the reference, not a second copy of the formula."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from mycelix.chain.units import DAY, ONE
from mycelix.platform import Platform
from mycelix.sdk import Mycelix, Role, Split, Tier, salt_for, song_id_for

from .conftest import open_platform

PPS, GIFT, PATRONAGE, AUCTION = (
    "pay-per-stream-v1",
    "gift-economy-v1",
    "patronage-v1",
    "dutch-auction-v1",
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """One catalogue backend is enough here: the calculator and the chain never touch it."""
    p = open_platform(tmp_path_factory.mktemp("calculator"))
    yield p
    p.close()


@dataclass
class Cast:
    artist: Mycelix
    producer: Mycelix
    featured: Mycelix
    listeners: list[Mycelix]
    treasury: str


@pytest.fixture(scope="module")
def cast(platform: Platform) -> Cast:
    a = platform.chain.dev_accounts
    sdk = platform.sdk
    listeners = [sdk.as_account(a[i]) for i in (2, 4, 6)]
    for listener in listeners:
        listener.faucet(Decimal(1000))
    treasury = sdk.router.functions.treasury().call()
    return Cast(
        sdk.as_account(a[1]), sdk.as_account(a[3]), sdk.as_account(a[5]), listeners, treasury
    )


@dataclass(frozen=True)
class Ledger:
    """Who holds what: FLOW balances of the payers, router credits of everyone, CGC."""

    flow: dict[str, int]
    credits: dict[str, int]
    cgc: dict[str, int]

    @classmethod
    def read(cls, sdk: Mycelix, cast: Cast) -> Ledger:
        payers = [listener.address for listener in cast.listeners]
        payees = [cast.artist.address, cast.producer.address, cast.featured.address]
        return cls(
            flow={p: sdk.flow_balance(p) for p in payers},
            credits={p: sdk.credits(p) for p in [*payees, cast.treasury]},
            cgc={p: sdk.cgc_balance(p) for p in payers},
        )


@dataclass(frozen=True)
class Charged:
    paid: int
    fee: int
    credited: dict[str, int]
    minted: int


def charged(before: Ledger, after: Ledger, treasury: str) -> Charged:
    return Charged(
        paid=sum(before.flow[p] - after.flow[p] for p in before.flow),
        fee=after.credits[treasury] - before.credits[treasury],
        credited={p: after.credits[p] - before.credits[p] for p in before.credits if p != treasury},
        minted=sum(after.cgc[p] - before.cgc[p] for p in before.cgc),
    )


def calculate(client: TestClient, name: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/strategies/{name}/calculator", json=body)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def assert_same(out: dict[str, Any], chain: Charged) -> None:
    assert int(out["gross"]["wei"]) == chain.paid
    assert int(out["fee"]["wei"]) == chain.fee
    assert int(out["net"]["wei"]) == chain.paid - chain.fee
    shares = {
        Web3.to_checksum_address(s["recipient"]): int(s["amount"]["wei"]) for s in out["shares"]
    }
    assert shares == {who: amount for who, amount in chain.credited.items() if who in shares}
    assert sum(shares.values()) == sum(chain.credited.values())


def new_song(cast: Cast, title: str, strategy: str, *, split: bool = True) -> str:
    salt = salt_for(f"calculator:{title}")
    cast.artist.register_song(salt, strategy)
    song = song_id_for(cast.artist.address, salt)
    if split:  # uneven shares, so every payment's rounding shows
        cast.artist.configure_splits(
            song,
            [
                Split(cast.artist.address, 6001, Role.ARTIST),
                Split(cast.producer.address, 2999, Role.PRODUCER),
                Split(cast.featured.address, 1000, Role.FEATURED),
            ],
        )
    return "0x" + song.hex()


def test_pay_per_stream_streams_and_tips(
    platform: Platform, client: TestClient, cast: Cast
) -> None:
    song = new_song(cast, "metered", PPS)
    price, tip = 10**16 + 7, 333_333_333_333_333_337
    cast.artist.set_price(song, price)
    before = Ledger.read(platform.sdk, cast)
    for listener in cast.listeners:
        listener.stream(song)
    cast.listeners[0].stream(song)
    cast.listeners[1].tip(song, tip)
    cast.listeners[2].tip(song, tip)
    chain = charged(before, Ledger.read(platform.sdk, cast), cast.treasury)
    out = calculate(
        client,
        PPS,
        {
            "monthly_plays": 4,
            "price": str(price),
            "tips": {"count": 2, "amount": str(tip)},
            "song_id": song,
        },
    )
    assert chain.fee > 0 and all(chain.credited.values())
    assert_same(out, chain)


def test_gift_economy_cgc_and_tips(platform: Platform, client: TestClient, cast: Cast) -> None:
    song = new_song(cast, "given", GIFT)
    cast.artist.configure_gift(
        song, cgc_per_listen=ONE + 1, early_bonus=7 * ONE + 3, early_threshold=2
    )
    interval = platform.sdk.contract("GiftEconomy").functions.REWARD_INTERVAL().call()
    before = Ledger.read(platform.sdk, cast)
    assert platform.chain.embedded is not None
    for listen in range(2):  # two listens each, an interval apart (each is rewarded)
        for listener in cast.listeners:
            listener.stream(song)
        if listen == 1:
            # Within the hour of the tipper's listen, so not rewarded: the contract rewards a
            # tip like a listen once the hour has passed, which the calculator (tips are money
            # only) does not model.
            cast.listeners[0].tip(song, 10**18 + 1)
        platform.chain.embedded.advance_time(interval)
    chain = charged(before, Ledger.read(platform.sdk, cast), cast.treasury)
    out = calculate(
        client,
        GIFT,
        {
            "monthly_listeners": 3,
            "listens_per_listener": 2,
            "cgc_per_listen": str(ONE + 1),
            "early_bonus": str(7 * ONE + 3),
            "early_threshold": 2,
            "tips": {"count": 1, "amount": str(10**18 + 1)},
            "song_id": song,
        },
    )
    assert chain.minted > 0
    assert int(out["cgc_to_listeners"]["wei"]) == chain.minted
    assert_same(out, chain)


def test_patronage_joins(platform: Platform, client: TestClient, cast: Cast) -> None:
    song = new_song(cast, "channel", PATRONAGE)
    fan_fee, vip_fee = 2 * ONE + 9, 5 * ONE + 11
    cast.artist.configure_patronage([Tier("fan", fan_fee), Tier("vip", vip_fee)])
    before = Ledger.read(platform.sdk, cast)
    cast.listeners[0].become_patron(song, tier=0)
    cast.listeners[1].become_patron(song, tier=0)
    cast.listeners[2].become_patron(song, tier=1)
    chain = charged(before, Ledger.read(platform.sdk, cast), cast.treasury)
    out = calculate(
        client,
        PATRONAGE,
        {
            "tiers": [
                {"name": "fan", "fee": str(fan_fee), "patrons": 2, "joining": True},
                {"name": "vip", "fee": str(vip_fee), "patrons": 1, "joining": True},
            ],
            "song_id": song,
        },
    )
    assert_same(out, chain)


def test_an_auction_slot(platform: Platform, client: TestClient, cast: Cast) -> None:
    song = new_song(cast, "limited", AUCTION)
    cast.artist.create_auction(
        song, start_price=Decimal(5), floor_price=Decimal(1), duration=7 * DAY, slots=3
    )
    before = Ledger.read(platform.sdk, cast)
    cast.listeners[0].buy_slot(song, max_price=Decimal(5))
    chain = charged(before, Ledger.read(platform.sdk, cast), cast.treasury)
    assert ONE <= chain.paid <= 5 * ONE
    # The price a Dutch auction charges depends on the moment; the split of it must not.
    out = calculate(
        client, AUCTION, {"slots": 1, "clearing_price": str(chain.paid), "song_id": song}
    )
    assert_same(out, chain)


def test_freemium_free_then_paid_plays(platform: Platform, client: TestClient, cast: Cast) -> None:
    from mycelix.strategies.freemium import sdk as freemium

    song = new_song(cast, "two free", "freemium-v1")
    price = 10**16 + 13
    freemium.configure(cast.artist, song, 2, price)
    before = Ledger.read(platform.sdk, cast)
    for listener in cast.listeners:  # 5 plays each: 2 free, 3 paid
        for _ in range(5):
            listener.stream(song)
    chain = charged(before, Ledger.read(platform.sdk, cast), cast.treasury)
    assert chain.paid == 3 * 3 * price
    out = calculate(
        client,
        "freemium-v1",
        {
            "params": {
                "listeners": 3,
                "plays_per_listener": 5,
                "free_plays": 2,
                "price": str(price),
            },
            "song_id": song,
        },
    )
    assert [line["payments"] for line in out["lines"]] == [6, 9]
    assert_same(out, chain)


def test_pay_what_you_want_amounts(platform: Platform, client: TestClient, cast: Cast) -> None:
    from mycelix.strategies.pay_what_you_want import sdk as pwyw

    song = new_song(cast, "your price", "pay-what-you-want-v1")
    pwyw.configure(cast.artist, song, 0, ONE)
    amounts = [0, 1, 10**16 + 1, 3 * ONE + 7]
    before = Ledger.read(platform.sdk, cast)
    for i, amount in enumerate(amounts):
        pwyw.pay(cast.listeners[i % 3], song, amount)
    chain = charged(before, Ledger.read(platform.sdk, cast), cast.treasury)
    out = calculate(
        client,
        "pay-what-you-want-v1",
        {"params": {"plays": [{"count": 1, "amount": str(a)} for a in amounts]}, "song_id": song},
    )
    assert_same(out, chain)


def test_pay_what_you_want_refuses_amounts_below_its_minimum(client: TestClient) -> None:
    response = client.post(
        "/api/strategies/pay-what-you-want-v1/calculator",
        json={"params": {"minimum": "100", "plays": [{"count": 1, "amount": "99"}]}},
    )
    assert response.status_code == 422
    assert "below the minimum" in response.json()["error"]["message"]

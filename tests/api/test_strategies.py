"""Strategy reads: the catalogue matches the contracts, split previews follow the router's
rule exactly, the calculator's maths, a song's live economics, tiers, patrons, auctions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mycelix.catalog.repositories import (
    AuctionCreatedIn,
    AuctionRepository,
    PatronEventIn,
    PatronRepository,
)
from mycelix.chain.units import ONE
from mycelix.platform import Platform
from mycelix.strategies import registry
from tests.api.conftest import assert_invalid
from tests.api.helpers_endpoints import (
    Session,
    act,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    describe_song,
    fund,
    new_song_id,
    ref,
    register,
)
from tests.support.strategies import SHIPPED

ARTIST_X = "0x" + "11" * 20
PRODUCER_X = "0x" + "22" * 20
WRITER_X = "0x" + "33" * 20


def test_catalogue_matches_the_contracts(client: TestClient, platform: Platform) -> None:
    response = client.get("/api/strategies")
    assert response.status_code == 200
    body = response.json()
    assert body["protocol_fee_bps"] == 100
    by_name = {s["name"]: s for s in body["strategies"]}
    # Every registered folder (a scaffolded one too), and at least the shipped six.
    assert set(by_name) == set(registry.names())
    assert set(by_name) >= set(SHIPPED)
    for name, s in by_name.items():
        assert s["enabled"] is True and s["payment_types"] and s["title"]
        assert s["contract"] == platform.manifest.addresses[registry.get(name).contract]
    assert registry.get("pay-what-you-want-v1").contract == "PayWhatYouWant"

    def field(strategy: str, name: str) -> dict[str, Any]:
        return next(f for f in by_name[strategy]["config"] if f["name"] == name)

    sdk = platform.sdk
    pps, gift = sdk.contract("PayPerStream").functions, sdk.contract("GiftEconomy").functions
    pat, auc = sdk.contract("Patronage").functions, sdk.contract("DutchAuction").functions
    assert field("pay-per-stream-v1", "price")["default"] == str(pps.DEFAULT_PRICE().call())
    cgc = field("gift-economy-v1", "cgc_per_listen")
    assert cgc["default"] == str(gift.DEFAULT_CGC_PER_LISTEN().call())
    assert cgc["maximum"] == str(gift.MAX_CGC_PER_LISTEN().call())
    bonus = field("gift-economy-v1", "early_bonus")
    assert bonus["maximum"] == str(gift.MAX_EARLY_BONUS().call())
    assert by_name["gift-economy-v1"]["rules"]["daily_cgc_cap"] == str(gift.DAILY_CGC_CAP().call())
    assert field("gift-economy-v1", "early_bonus")["default"] == str(
        gift.DEFAULT_EARLY_BONUS().call()
    )
    assert field("gift-economy-v1", "early_threshold")["default"] == (
        gift.DEFAULT_EARLY_THRESHOLD().call()
    )
    mult = field("gift-economy-v1", "repeat_multiplier_bps")
    assert (mult["minimum"], mult["maximum"], mult["default"]) == (
        gift.MIN_REPEAT_MULTIPLIER_BPS().call(),
        gift.MAX_REPEAT_MULTIPLIER_BPS().call(),
        gift.DEFAULT_REPEAT_MULTIPLIER_BPS().call(),
    )
    assert by_name["gift-economy-v1"]["rules"]["reward_interval_seconds"] == (
        gift.REWARD_INTERVAL().call()
    )
    discounts = field("patronage-v1", "discounts_bps")
    assert discounts["default"] == [pat.DEFAULT_DISCOUNTS(i).call() for i in range(4)]
    assert discounts["maximum"] == pat.MAX_DISCOUNT_BPS().call()
    assert field("patronage-v1", "min_commitment")["maximum"] == pat.MAX_COMMITMENT().call()
    assert field("patronage-v1", "tiers")["max_items"] == pat.MAX_TIERS().call()
    assert by_name["patronage-v1"]["rules"]["period_seconds"] == pat.PERIOD().call()
    assert by_name["patronage-v1"]["rules"]["grace_seconds"] == pat.GRACE().call()
    assert field("dutch-auction-v1", "start_price")["maximum"] == str(auc.MAX_PRICE().call())
    assert field("dutch-auction-v1", "slots")["maximum"] == auc.MAX_SLOTS().call()
    assert field("dutch-auction-v1", "duration")["maximum"] == auc.MAX_TIME().call()
    fre, pwyw = sdk.contract("Freemium").functions, sdk.contract("PayWhatYouWant").functions
    free = field("freemium-v1", "free_plays")
    assert (free["default"], free["maximum"]) == (
        fre.DEFAULT_FREE_PLAYS().call(),
        fre.MAX_FREE_PLAYS().call(),
    )
    assert field("freemium-v1", "price")["maximum"] == str(fre.MAX_PRICE().call())
    assert field("pay-what-you-want-v1", "minimum")["default"] == "0"
    suggested = field("pay-what-you-want-v1", "suggested")
    assert suggested["default"] == str(pwyw.DEFAULT_SUGGESTED().call())
    assert suggested["maximum"] == str(pwyw.MAX_AMOUNT().call())


def test_preview_follows_the_routers_rule(client: TestClient) -> None:
    body = {
        "amount": "1000",
        "splits": [
            {"recipient": ARTIST_X, "bps": 3334},
            {"recipient": PRODUCER_X, "bps": 3333, "role": "producer"},
            {"recipient": WRITER_X, "bps": 3333, "role": "songwriter"},
        ],
    }
    response = client.post("/api/strategies/preview-splits", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    # fee = 1000 * 100 // 10000 = 10; net 990; others 990*3333//10000 = 329 each; first 332
    assert out["fee"] == {"wei": "10", "flow": "0.00000000000000001"}
    assert out["net"]["wei"] == "990"
    assert [s["amount"]["wei"] for s in out["shares"]] == ["332", "329", "329"]
    assert [s["role"] for s in out["shares"]] == ["artist", "producer", "songwriter"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "1000"}, "body"),
        (
            {
                "amount": "1000",
                "song_id": "0x" + "11" * 32,
                "splits": [{"recipient": ARTIST_X, "bps": 10000}],
            },
            "body",
        ),
        ({"amount": "10.5", "splits": [{"recipient": ARTIST_X, "bps": 10000}]}, "amount"),
        ({"amount": "1000", "splits": [{"recipient": ARTIST_X, "bps": 5000}]}, "splits"),
    ],
)
def test_bad_previews_are_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    message = assert_invalid(client.post("/api/strategies/preview-splits", json=body), field)
    if field == "body":  # the model's own rule: one source of splits
        assert "either `splits` or `song_id`" in message


def test_preview_of_a_song_equals_the_chain(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"])
    splits = [
        {"recipient": auth.address("artist"), "bps": 6001},
        {"recipient": auth.address("producer"), "bps": 2999, "role": "producer"},
        {"recipient": auth.address("listener"), "bps": 1000, "role": "featured"},
    ]
    act(client, platform, "configure_splits", {"song_id": song, "splits": splits}, auth["artist"])
    for amount in (1, 999, 10**16 + 7, 123_456_789 * ONE + 3):
        out = client.post(
            "/api/strategies/preview-splits", json={"amount": str(amount), "song_id": song}
        ).json()
        fee, shares = platform.sdk.preview_splits(song, amount)
        assert out["fee"]["wei"] == str(fee)
        assert [(s["recipient"], s["amount"]["wei"]) for s in out["shares"]] == [
            (s.recipient, str(s.amount)) for s in shares
        ]
    unknown = client.post(
        "/api/strategies/preview-splits", json={"amount": "1", "song_id": new_song_id()}
    )
    assert unknown.status_code == 404


def calc(client: TestClient, name: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/strategies/{name}/calculator", json=body)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def test_calculator_pay_per_stream(client: TestClient) -> None:
    out = calc(
        client,
        "pay-per-stream-v1",
        {
            "monthly_plays": 1000,
            "price": "1001",
            "tips": {"count": 3, "amount": "500"},
            "splits": [
                {"label": "artist", "bps": 7000},
                {"label": "producer", "bps": 3000, "role": "producer"},
            ],
        },
    )
    # a stream: fee 1001*100//10000 = 10, net 991, producer 991*3000//10000 = 297, artist 694
    # a tip: fee 5, net 495, producer 148, artist 347
    streams, tips = out["lines"]
    assert streams["gross"]["wei"] == "1001000" and streams["fee"]["wei"] == "10000"
    assert tips["gross"]["wei"] == "1500" and tips["fee"]["wei"] == "15"
    assert out["gross"]["wei"] == "1002500"
    assert out["fee"]["wei"] == "10015"
    assert out["net"]["wei"] == "992485"
    assert [s["amount"]["wei"] for s in out["shares"]] == [
        str(694 * 1000 + 347 * 3),
        str(297 * 1000 + 148 * 3),
    ]
    assert out["assumptions"]
    default_price = calc(client, "pay-per-stream-v1", {"monthly_plays": 100})
    assert default_price["gross"] == {"wei": str(10**18), "flow": "1"}
    assert default_price["net"]["flow"] == "0.99"


def test_calculator_gift_economy(client: TestClient) -> None:
    out = calc(
        client,
        "gift-economy-v1",
        {
            "monthly_listeners": 4,
            "listens_per_listener": 7,
            "cgc_per_listen": "100",
            "early_bonus": "1000",
            "early_threshold": 3,
            "repeat_multiplier_bps": 15_000,
        },
    )
    # per listener: 5 * 100 + 2 * 150 = 800; 4 listeners; 3 early bonuses of 1000
    assert out["cgc_to_listeners"]["wei"] == str(4 * 800 + 3 * 1000)
    assert out["gross"]["wei"] == "0" and out["lines"][0]["payments"] == 28


def test_calculator_patronage(client: TestClient) -> None:
    out = calc(
        client,
        "patronage-v1",
        {
            "tiers": [
                {"name": "fan", "fee": "1000", "patrons": 10, "joining": True},
                {"name": "vip", "fee": "3333", "patrons": 2, "level": 3},
            ],
            "discounts_bps": [0, 500, 1000, 2000],
        },
    )
    # fan: 1000 each; vip renewing at level 3: 3333 - 3333*1000//10000 = 3000 each
    fan, vip = out["lines"]
    assert fan["charge_each"]["wei"] == "1000" and vip["charge_each"]["wei"] == "3000"
    assert out["gross"]["wei"] == str(10 * 1000 + 2 * 3000)
    assert out["fee"]["wei"] == str(10 * 10 + 2 * 30)


def test_calculator_auction_and_song_splits(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "dutch-auction-v1")
    out = calc(
        client,
        "dutch-auction-v1",
        {"slots": 5, "clearing_price": str(3 * ONE), "song_id": song, "fee_bps": 250},
    )
    assert out["fee_bps"] == 250
    assert out["gross"]["flow"] == "15" and out["fee"]["flow"] == "0.375"
    assert out["shares"] == [
        {
            "recipient": auth.address("artist"),
            "role": "artist",
            "bps": 10000,
            "amount": {"wei": str(15 * ONE - 375 * ONE // 1000), "flow": "14.625"},
        }
    ]


def test_calculator_refuses_bad_input(client: TestClient) -> None:
    assert client.post("/api/strategies/no-such-v1/calculator", json={}).status_code == 404
    for body, field in (
        ({"monthly_plays": -1}, "monthly_plays"),
        ({"price": 10}, "price"),
        ({"fee_bps": 501}, "fee_bps"),
        ({"splits": [{"label": "a", "bps": 9000}]}, "splits"),
        ({"discounts_bps": [0, 0, 0]}, "discounts_bps"),
        ({"mystery": 1}, "mystery"),
    ):
        response = client.post("/api/strategies/pay-per-stream-v1/calculator", json=body)
        assert_invalid(response, field)


def test_economy_of_each_strategy(client: TestClient, platform: Platform, auth: Session) -> None:
    pps = register(client, platform, auth["artist"])
    act(client, platform, "set_price", {"song_id": pps, "price": str(2 * 10**16)}, auth["artist"])
    out = client.get(f"/api/songs/{pps}/economy").json()
    assert out["strategy"] == "pay-per-stream-v1" and out["viewer"] is None
    assert out["pay_per_stream"]["price"]["flow"] == "0.02"
    assert out["stream_quote"]["wei"] == str(2 * 10**16) and out["authorized"] is False
    assert out["splits"] == [
        {"recipient": auth.address("artist"), "bps": 10000, "role": "artist", "role_code": 0}
    ]
    assert out["fee_bps"] == 100

    gift = register(client, platform, auth["artist"], "gift-economy-v1")
    signed = client.get(f"/api/songs/{gift}/economy", headers=auth["listener"]).json()
    assert signed["viewer"] == auth.address("listener") and signed["authorized"] is True
    assert signed["gift"]["config"]["configured"] is False
    assert signed["gift"]["config"]["cgc_per_listen"]["flow"] == "1"
    assert signed["gift"]["listener"]["next_reward"]["flow"] == "11"
    assert signed["stream_quote"]["wei"] == "0"

    act(
        client,
        platform,
        "configure_patronage",
        {"tiers": [{"name": "club", "fee": str(ONE), "exclusive": True}]},
        auth["artist"],
    )
    pat = register(client, platform, auth["artist"], "patronage-v1")
    act(client, platform, "set_patron_only", {"song_id": pat}, auth["artist"])
    closed = client.get(f"/api/songs/{pat}/economy", headers=auth["stranger"]).json()
    assert closed["patronage"]["patron_only"] is True
    assert closed["patronage"]["tiers"][0]["name"] == "club"
    assert closed["patronage"]["discounts_bps"] == [0, 500, 1000, 2000]
    assert closed["patronage"]["patron"]["active"] is False
    assert closed["stream_quote"] is None and "patrons only" in closed["stream_refusal"]

    auc = register(client, platform, auth["artist"], "dutch-auction-v1")
    none_yet = client.get(f"/api/songs/{auc}/economy").json()
    assert none_yet["auction"]["auction"] is None
    act(
        client,
        platform,
        "create_auction",
        {
            "song_id": auc,
            "start_price": str(2 * ONE),
            "floor_price": str(ONE),
            "duration": 600,
            "slots": 3,
        },
        auth["artist"],
    )
    live = client.get(f"/api/songs/{auc}/economy", headers=auth["listener"]).json()
    assert live["auction"]["auction"]["live"] is True
    assert ONE <= int(live["auction"]["auction"]["current_price"]["wei"]) <= 2 * ONE
    assert live["auction"]["holds_slot"] is False

    assert client.get(f"/api/songs/{new_song_id()}/economy").status_code == 404
    assert_invalid(client.get("/api/songs/0x12/economy"), "path.song_id")


def test_song_auction_joins_chain_and_catalogue(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "dutch-auction-v1")
    describe_song(
        platform, auth.address("artist"), "Limited", song_id=song, strategy="dutch-auction-v1"
    )
    act(
        client,
        platform,
        "create_auction",
        {
            "song_id": song,
            "start_price": str(5 * ONE),
            "floor_price": "0",
            "duration": 600,
            "slots": 2,
        },
        auth["artist"],
    )
    fund(client, platform, auth["listener"], 10 * ONE)
    act(
        client, platform, "buy_slot", {"song_id": song, "max_price": str(5 * ONE)}, auth["listener"]
    )
    # what the indexer would record
    now = datetime.now(UTC)
    with platform.catalog.write() as session:
        repo = AuctionRepository(session)
        repo.record_created(
            AuctionCreatedIn(
                song_id=song,
                number=1,
                start_price=5 * ONE,
                floor_price=0,
                start_time=now,
                end_time=now + timedelta(minutes=10),
                slots=2,
                ref=ref(now),
            )
        )
        repo.record_slot(
            song, 1, slot=1, buyer=auth.address("listener"), price=4 * ONE, ref=ref(now, 1)
        )
    out = client.get(f"/api/songs/{song}/auction", headers=auth["listener"]).json()
    assert out["chain"]["auction"]["sold"] == 1 and out["chain"]["holds_slot"] is True
    assert [a["number"] for a in out["history"]] == [1]
    assert out["history"][0]["sold"] == 1
    assert out["latest_slots"][0]["buyer"] == auth.address("listener")
    assert out["latest_slots"][0]["price"]["flow"] == "4"
    assert client.get(f"/api/songs/{new_song_id()}/auction").status_code == 404


def test_artist_tiers_and_patrons(client: TestClient, platform: Platform, auth: Session) -> None:
    artist = auth.address("producer")
    act(
        client,
        platform,
        "configure_patronage",
        {
            "tiers": [
                {"name": "friend", "fee": str(2 * ONE)},
                {"name": "angel", "fee": str(9 * ONE), "exclusive": True},
            ],
            "discounts_bps": [0, 100, 200, 300],
            "min_commitment": 86_400,
        },
        auth["producer"],
    )
    now = datetime.fromtimestamp(platform.chain.w3.eth.get_block("latest")["timestamp"], UTC)
    with platform.catalog.write() as session:
        repo = PatronRepository(session)
        for who, start, until in (
            ("patron", now - timedelta(days=10), now + timedelta(days=20)),
            ("listener", now - timedelta(days=100), now - timedelta(days=30)),
        ):
            repo.record_event(
                PatronEventIn(
                    artist=artist,
                    patron=auth.address(who),
                    kind="joined",
                    tier=1,
                    started_at=start,
                    paid_until=until,
                    ref=ref(start),
                )
            )
    tiers = client.get(f"/api/artists/{artist}/tiers").json()
    assert [(t["index"], t["name"], t["fee"]["wei"], t["exclusive"]) for t in tiers["tiers"]] == [
        (0, "friend", str(2 * ONE), False),
        (1, "angel", str(9 * ONE), True),
    ]
    assert tiers["discounts_bps"] == [0, 100, 200, 300] and tiers["min_commitment"] == 86_400
    assert tiers["active_patrons"] == 1

    everyone = client.get(f"/api/artists/{artist}/patrons").json()["patrons"]
    assert [(p["patron"], p["active"]) for p in everyone] == [
        (auth.address("listener"), False),
        (auth.address("patron"), True),
    ]
    active = client.get(f"/api/artists/{artist}/patrons", params={"active": True}).json()
    assert [p["patron"] for p in active["patrons"]] == [auth.address("patron")]
    assert_invalid(client.get("/api/artists/0x123/tiers"), "path.address")
    letter = next(i for i, c in enumerate(artist) if i > 1 and c.isalpha())
    typo = artist[:letter] + artist[letter].swapcase() + artist[letter + 1 :]
    assert_invalid(client.get(f"/api/artists/{typo}/patrons"), "path.address")
    assert client.get(f"/api/artists/{artist.lower()}/patrons").status_code == 200

"""`POST /api/tx/{action}`: every prepared transaction is sent from a dev account (as a
browser wallet would) and the chain state is checked; sign-in, artist checks and body
validation are checked per action."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3.exceptions import ContractLogicError

from mycelix.catalog.repositories import SongRepository
from mycelix.chain.units import ONE, PaymentType
from mycelix.platform import Platform
from mycelix.schemas import Role
from mycelix.sdk.types import Role as SdkRole
from mycelix.sdk.types import Split, song_id_for
from tests.api.conftest import assert_invalid
from tests.api.helpers_endpoints import (
    Session,
    act,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    describe_song,
    fund,
    new_salt,
    new_song_id,
    prepare,
    register,
    send,
)
from tests.api.test_content import index

SONG = "0x" + "ab" * 32
PPS = "pay-per-stream-v1"

ACTIONS: dict[str, dict[str, Any]] = {
    "register_song": {"salt": SONG, "strategy": "pay-per-stream-v1"},
    "change_strategy": {"song_id": SONG, "strategy": "gift-economy-v1"},
    "offer_song": {"song_id": SONG, "new_artist": "0x" + "11" * 20},
    "accept_song": {"song_id": SONG},
    "cancel_song_transfer": {"song_id": SONG},
    "configure_splits": {
        "song_id": SONG,
        "splits": [{"recipient": "0x" + "11" * 20, "bps": 10000}],
    },
    "set_price": {"song_id": SONG, "price": "1"},
    "configure_gift": {"song_id": SONG, "cgc_per_listen": "1"},
    "configure_patronage": {"tiers": [{"name": "fan", "fee": "1"}]},
    "set_patron_only": {"song_id": SONG},
    "create_auction": {
        "song_id": SONG,
        "start_price": "2",
        "floor_price": "1",
        "duration": 60,
        "slots": 1,
    },
    "end_auction": {"song_id": SONG},
    "approve": {"amount": "1"},
    "pay": {"song_id": SONG, "amount": "1", "payment_type": "tip"},
    "stream": {"song_id": SONG},
    "tip": {"song_id": SONG, "amount": "1"},
    "batch": {"song_ids": [SONG]},
    "become_patron": {"song_id": SONG, "tier": 0},
    "cancel_patronage": {"artist": "0x" + "11" * 20},
    "buy_slot": {"song_id": SONG, "max_price": "1"},
    "withdraw": {},
    "faucet": {"amount": "1"},
}
ARTIST_ONLY = [
    "change_strategy",
    "offer_song",
    "cancel_song_transfer",
    "configure_splits",
    "set_price",
    "configure_gift",
    "set_patron_only",
    "create_auction",
    "end_auction",
]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_needs_sign_in(client: TestClient, action: str) -> None:
    response = client.post(f"/api/tx/{action}", json=ACTIONS[action])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_unknown_action_is_404(client: TestClient, auth: Session) -> None:
    assert client.post("/api/tx/mint_money", json={}, headers=auth["artist"]).status_code == 404


@pytest.mark.parametrize("action", ARTIST_ONLY)
def test_artist_actions_on_another_artists_song_are_403(
    client: TestClient, platform: Platform, auth: Session, action: str
) -> None:
    song = register(client, platform, auth["artist"])
    body = {**ACTIONS[action], "song_id": song}
    response = client.post(f"/api/tx/{action}", json=body, headers=auth["stranger"])
    assert response.status_code == 403, response.text
    assert "artist of record" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "action", [*ARTIST_ONLY, "accept_song", "stream", "tip", "become_patron", "buy_slot"]
)
def test_actions_on_an_unregistered_song_are_404(
    client: TestClient, auth: Session, action: str
) -> None:
    body = {**ACTIONS[action], "song_id": new_song_id()}
    response = client.post(f"/api/tx/{action}", json=body, headers=auth["artist"])
    assert response.status_code == 404, response.text
    assert "not registered" in response.json()["error"]["message"]


def test_register_song_prepares_a_wallet_transaction(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    salt = new_salt()
    song = "0x" + song_id_for(auth.address("artist"), salt).hex()
    tx = prepare(
        client, "register_song", {"salt": salt, "strategy": "gift-economy-v1"}, auth["artist"]
    )
    assert tx["from"] == auth.address("artist")
    assert tx["to"] == platform.manifest.router
    assert tx["value"] == "0x0" and tx["chain_id"] == 31337 and tx["data"].startswith("0x")
    assert "from_" not in tx
    send(platform, tx)
    assert platform.sdk.song_artist(song) == auth.address("artist")
    assert platform.sdk.song_strategy(song) == "gift-economy-v1"
    again = client.post(
        "/api/tx/register_song",
        json={"salt": salt, "strategy": "gift-economy-v1"},
        headers=auth["artist"],
    )
    assert again.status_code == 409
    # The same salt from another account is another song: its own.
    act(client, platform, "register_song", {"salt": salt, "strategy": PPS}, auth["stranger"])
    assert platform.sdk.song_artist(song) == auth.address("artist")
    theirs = song_id_for(auth.address("stranger"), salt)
    assert platform.sdk.song_artist(theirs) == auth.address("stranger")


def test_a_song_described_by_another_artist_cannot_be_registered(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = describe_song(platform, auth.address("artist"), "Mine")
    response = client.post(
        "/api/tx/register_song",
        json={"song_id": song, "strategy": "pay-per-stream-v1"},
        headers=auth["stranger"],
    )
    assert response.status_code == 403
    act(
        client,
        platform,
        "register_song",
        {"song_id": song, "strategy": "pay-per-stream-v1"},
        auth["artist"],
    )
    assert platform.sdk.song_artist(song) == auth.address("artist")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"strategy": "pay-per-stream-v1"}, "body", "either song_id"),
        ({"song_id": SONG, "salt": SONG, "strategy": "pay-per-stream-v1"}, "body", "not both"),
        ({"song_id": "0x1234", "strategy": "pay-per-stream-v1"}, "song_id", ""),
        ({"salt": "0x" + "00" * 32, "strategy": "pay-per-stream-v1"}, "salt", "must not be zero"),
        ({"salt": SONG, "strategy": "free-money-v1"}, "strategy", ""),
        ({"song_id": SONG, "strategy": "pay-per-stream-v1", "extra": 1}, "extra", ""),
    ],
)
def test_bad_register_bodies_are_422(
    client: TestClient, auth: Session, body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/api/tx/register_song", json=body, headers=auth["artist"])
    assert message in assert_invalid(response, field)


@pytest.mark.parametrize(
    ("splits", "field", "message"),
    [
        ([], "splits", "1 to 64"),
        ([{"recipient": "0x" + "11" * 20, "bps": 9999}], "splits", "sum to 10000"),
        ([{"recipient": "0x" + "00" * 20, "bps": 10000}], "splits.0.recipient", "zero address"),
        (
            [
                {"recipient": "0x" + "11" * 20, "bps": 0},
                {"recipient": "0x" + "22" * 20, "bps": 10000},
            ],
            "splits.0.bps",
            "greater than or equal",
        ),
        ([{"recipient": "0x" + "11" * 20, "bps": 1}] * 65, "splits", "1 to 64"),
        ([{"recipient": "0xnothex", "bps": 10000}], "splits.0.recipient", "match pattern"),
        (
            [{"recipient": "0x" + "11" * 20, "bps": 10000, "role": "boss"}],
            "splits.0.role",
            "artist",
        ),
    ],
)
def test_bad_splits_are_422(
    client: TestClient, auth: Session, splits: list[dict[str, Any]], field: str, message: str
) -> None:
    response = client.post(
        "/api/tx/configure_splits",
        json={"song_id": SONG, "splits": splits},
        headers=auth["artist"],
    )
    assert message in assert_invalid(response, field)


@pytest.mark.parametrize(
    "amount",
    [1, "1.5", "-1", "01", "", " 1", "1e18", str(2**256), None, "١٢"],
)
def test_amounts_are_wei_strings_only(client: TestClient, auth: Session, amount: object) -> None:
    response = client.post(
        "/api/tx/tip", json={"song_id": SONG, "amount": amount}, headers=auth["listener"]
    )
    assert_invalid(response, "amount")


def test_splits_price_stream_and_withdraw(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    sdk = platform.sdk
    artist, producer = auth.address("artist"), auth.address("producer")
    song = register(client, platform, auth["artist"])
    splits = [
        {"recipient": artist, "bps": 7000, "role": "artist"},
        {"recipient": producer, "bps": 3000, "role": "producer"},
    ]
    act(client, platform, "configure_splits", {"song_id": song, "splits": splits}, auth["artist"])
    assert sdk.splits(song) == [Split(artist, 7000, 0), Split(producer, 3000, 2)]
    again = client.post(
        "/api/tx/configure_splits",
        json={"song_id": song, "splits": splits},
        headers=auth["artist"],
    )
    assert again.status_code == 409
    assert "splits already configured" in again.json()["error"]["message"]

    act(client, platform, "set_price", {"song_id": song, "price": str(3 * 10**16)}, auth["artist"])
    assert sdk.contract("PayPerStream").functions.price(bytes.fromhex(song[2:])).call() == (
        3 * 10**16
    )

    fund(client, platform, auth["listener"], 10 * ONE)
    before = {who: sdk.credits(who) for who in (artist, producer)}
    unindexed = client.post("/api/tx/stream", json={"song_id": song}, headers=auth["listener"])
    assert unindexed.status_code == 409 and unindexed.json()["error"]["code"] == "price_unknown"
    index(platform)  # the API offers the price it lists: the indexed one
    tx = act(client, platform, "stream", {"song_id": song}, auth["listener"])
    assert tx["amount"] == str(3 * 10**16) and tx["from"] == auth.address("listener")
    net = 3 * 10**16 - 3 * 10**16 * 100 // 10_000
    assert sdk.credits(producer) - before[producer] == net * 3000 // 10_000
    assert sdk.credits(artist) - before[artist] == net - net * 3000 // 10_000

    too_low = client.post(
        "/api/tx/stream", json={"song_id": song, "max_price": "1"}, headers=auth["listener"]
    )
    assert too_low.status_code == 409

    owed = sdk.credits(producer)
    balance = sdk.flow_balance(producer)
    act(client, platform, "withdraw", {}, auth["producer"])
    assert sdk.credits(producer) == 0
    assert sdk.flow_balance(producer) == balance + owed
    nothing = client.post("/api/tx/withdraw", json={}, headers=auth["producer"])
    assert nothing.status_code == 409


def test_approval_tells_whether_to_approve_first(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    headers = auth["patron"]
    act(client, platform, "approve", {"amount": "0"}, headers)
    response = client.get("/api/tx/approval", params={"amount": str(ONE)}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["needs_approval"] is True and body["allowance"] == "0"
    assert body["spender"] == platform.manifest.router
    send(platform, body["approve_tx"])
    after = client.get("/api/tx/approval", params={"amount": str(ONE)}, headers=headers).json()
    assert after["needs_approval"] is False and after["allowance"] == str(ONE)
    assert after["approve_tx"] is None
    assert client.get("/api/tx/approval", params={"amount": str(ONE)}).status_code == 401
    bad = client.get("/api/tx/approval", params={"amount": "1.5"}, headers=headers)
    assert_invalid(bad, "query.amount")


def test_tip_pay_and_batch(client: TestClient, platform: Platform, auth: Session) -> None:
    sdk = platform.sdk
    artist = auth.address("artist")
    first = register(client, platform, auth["artist"])
    second = register(client, platform, auth["artist"])
    fund(client, platform, auth["listener"], 10 * ONE)
    before = sdk.credits(artist)
    act(client, platform, "tip", {"song_id": first, "amount": str(ONE)}, auth["listener"])
    assert sdk.credits(artist) - before == ONE * 99 // 100

    before = sdk.credits(artist)
    act(
        client,
        platform,
        "pay",
        {"song_id": first, "amount": str(2 * 10**16), "payment_type": "stream"},
        auth["listener"],
    )
    assert sdk.credits(artist) - before == 10**16 * 99 // 100  # charged the price, not the offer

    before = sdk.credits(artist)
    index(platform)
    tx = act(client, platform, "batch", {"song_ids": [first, second]}, auth["listener"])
    assert tx["amount"] == str(2 * 10**16)
    assert sdk.credits(artist) - before == 2 * (10**16 * 99 // 100)
    empty = client.post("/api/tx/batch", json={"song_ids": []}, headers=auth["listener"])
    assert_invalid(empty, "song_ids")


def test_change_and_transfer_song_with_consent(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"])
    act(
        client,
        platform,
        "change_strategy",
        {"song_id": song, "strategy": "gift-economy-v1"},
        auth["artist"],
    )
    assert platform.sdk.song_strategy(song) == "gift-economy-v1"
    act(
        client,
        platform,
        "configure_splits",
        {
            "song_id": song,
            "splits": [
                {"recipient": auth.address("artist"), "bps": 6000},
                {"recipient": auth.address("stranger"), "bps": 4000, "role": "producer"},
            ],
        },
        auth["artist"],
    )
    not_offered = client.post(
        "/api/tx/accept_song", json={"song_id": song}, headers=auth["producer"]
    )
    assert not_offered.status_code == 403
    act(
        client,
        platform,
        "offer_song",
        {"song_id": song, "new_artist": auth.address("producer")},
        auth["artist"],
    )
    assert platform.sdk.song_artist(song) == auth.address("artist")  # nothing changes yet
    assert platform.sdk.pending_artist(song) == auth.address("producer")
    tx = prepare(client, "accept_song", {"song_id": song}, auth["producer"])
    assert tx["previous_artist"] == auth.address("artist")
    assert [(s["recipient"], s["bps"], s["role"]) for s in tx["splits"]] == [
        (auth.address("artist"), 6000, "artist"),
        (auth.address("stranger"), 4000, "producer"),
    ]
    assert "2 configured split(s)" in tx["description"]
    send(platform, tx)
    assert platform.sdk.song_artist(song) == auth.address("producer")
    assert platform.sdk.pending_artist(song) is None
    gone = client.post(
        "/api/tx/set_price", json={"song_id": song, "price": "5"}, headers=auth["artist"]
    )
    assert gone.status_code == 403
    zero = client.post(
        "/api/tx/offer_song",
        json={"song_id": song, "new_artist": "0x" + "00" * 20},
        headers=auth["producer"],
    )
    assert "zero address" in assert_invalid(zero, "new_artist")
    assert (
        client.post("/api/tx/transfer_song", json={}, headers=auth["producer"]).status_code == 404
    )


def test_a_pending_transfer_is_cancelled(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"])
    none = client.post(
        "/api/tx/cancel_song_transfer", json={"song_id": song}, headers=auth["artist"]
    )
    assert none.status_code == 409
    assert "router: no pending transfer" in none.json()["error"]["message"]
    act(
        client,
        platform,
        "offer_song",
        {"song_id": song, "new_artist": auth.address("producer")},
        auth["artist"],
    )
    act(client, platform, "cancel_song_transfer", {"song_id": song}, auth["artist"])
    assert platform.sdk.pending_artist(song) is None
    refused = client.post("/api/tx/accept_song", json={"song_id": song}, headers=auth["producer"])
    assert refused.status_code == 403
    assert platform.sdk.song_artist(song) == auth.address("artist")


def test_gift_economy(client: TestClient, platform: Platform, auth: Session) -> None:
    sdk = platform.sdk
    song = register(client, platform, auth["artist"], "gift-economy-v1")
    config = {
        "song_id": song,
        "cgc_per_listen": str(2 * ONE),
        "early_bonus": str(5 * ONE),
        "early_threshold": 10,
        "repeat_multiplier_bps": 20_000,
    }
    act(client, platform, "configure_gift", config, auth["artist"])
    c = sdk.gift_config(song)
    assert (c.cgc_per_listen, c.early_bonus, c.early_threshold, c.repeat_multiplier_bps) == (
        2 * ONE,
        5 * ONE,
        10,
        20_000,
    )
    assert c.configured
    listener = auth.address("listener")
    cgc = sdk.cgc_balance(listener)
    index(platform)
    tx = act(client, platform, "stream", {"song_id": song}, auth["listener"])
    assert tx["amount"] == "0"
    assert sdk.cgc_balance(listener) - cgc == 7 * ONE
    bad = client.post(
        "/api/tx/configure_gift",
        json={**config, "repeat_multiplier_bps": 9_999},
        headers=auth["artist"],
    )
    assert_invalid(bad, "repeat_multiplier_bps")
    too_much = client.post(
        "/api/tx/configure_gift",
        json={**config, "cgc_per_listen": str(100 * ONE + 1)},
        headers=auth["artist"],
    )
    assert "cgc_per_listen is above the maximum" in assert_invalid(too_much, "body")


def test_patronage(client: TestClient, platform: Platform, auth: Session) -> None:
    sdk = platform.sdk
    artist = auth.address("artist")
    tiers = [
        {"name": "supporter", "fee": str(5 * ONE)},
        {"name": "inner circle", "fee": str(20 * ONE), "exclusive": True},
    ]
    act(client, platform, "configure_patronage", {"tiers": tiers}, auth["artist"])
    assert [(t.name, t.fee, t.exclusive) for t in sdk.tiers(artist)] == [
        ("supporter", 5 * ONE, False),
        ("inner circle", 20 * ONE, True),
    ]
    song = register(client, platform, auth["artist"], "patronage-v1")
    act(client, platform, "set_patron_only", {"song_id": song, "patron_only": True}, auth["artist"])
    assert sdk.contract("Patronage").functions.is_patron_only(bytes.fromhex(song[2:])).call()
    unchanged = client.post(
        "/api/tx/set_patron_only",
        json={"song_id": song, "patron_only": True},
        headers=auth["artist"],
    )
    assert unchanged.status_code == 409 and "flag unchanged" in unchanged.text

    patron = auth.address("patron")
    assert not sdk.is_authorized(song, patron)
    fund(client, platform, auth["patron"], 100 * ONE)
    tx = act(client, platform, "become_patron", {"song_id": song, "tier": 1}, auth["patron"])
    assert tx["amount"] == str(20 * ONE)
    state = sdk.patron(artist, patron)
    assert state.active and state.tier == 1 and state.exclusive
    assert sdk.is_authorized(song, patron)
    early = client.post(
        "/api/tx/become_patron", json={"song_id": song, "tier": 1}, headers=auth["patron"]
    )
    assert early.status_code == 409 and "too early" in early.json()["error"]["message"]

    act(client, platform, "cancel_patronage", {"artist": artist}, auth["patron"])
    assert sdk.patron(artist, patron).cancelled
    twice = client.post("/api/tx/cancel_patronage", json={"artist": artist}, headers=auth["patron"])
    assert twice.status_code == 409

    bad_bodies: list[tuple[dict[str, Any], str]] = [
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"name": "x" * 33, "fee": "1"}]}, "tiers.0.name"),
        ({"tiers": [{"name": "fan", "fee": "0"}]}, "tiers.0.fee"),
        ({"tiers": [{"name": "fan", "fee": "1"}], "discounts_bps": [0, 100]}, "body"),
        ({"tiers": [{"name": "fan", "fee": "1"}], "discounts_bps": [500, 0, 0, 0]}, "body"),
        (
            {"tiers": [{"name": "fan", "fee": "1"}], "min_commitment": 366 * 86_400},
            "min_commitment",
        ),
    ]
    for bad, field in bad_bodies:
        response = client.post("/api/tx/configure_patronage", json=bad, headers=auth["artist"])
        message = assert_invalid(response, field)
        if field == "body":
            assert "discounts_bps" in message or "discounts must not decrease" in message


def test_dutch_auction(client: TestClient, platform: Platform, auth: Session) -> None:
    sdk = platform.sdk
    song = register(client, platform, auth["artist"], "dutch-auction-v1")
    auction = {
        "song_id": song,
        "start_price": str(10 * ONE),
        "floor_price": str(ONE),
        "duration": 3_600,
        "slots": 2,
    }
    act(client, platform, "create_auction", auction, auth["artist"])
    state = sdk.auction(song)
    assert state.live and state.slots == 2 and state.start_price == 10 * ONE
    live = client.post("/api/tx/create_auction", json=auction, headers=auth["artist"])
    assert live.status_code == 409 and "auction live" in live.json()["error"]["message"]

    buyer = auth.address("patron")
    fund(client, platform, auth["patron"], 100 * ONE)
    cheap = client.post(
        "/api/tx/buy_slot", json={"song_id": song, "max_price": str(ONE)}, headers=auth["patron"]
    )
    assert cheap.status_code == 409 and cheap.json()["error"]["code"] == "price_changed"
    act(client, platform, "buy_slot", {"song_id": song, "max_price": str(10 * ONE)}, auth["patron"])
    assert sdk.is_authorized(song, buyer) and sdk.auction(song).sold == 1
    act(client, platform, "end_auction", {"song_id": song}, auth["artist"])
    assert not sdk.auction(song).live

    pps = register(client, platform, auth["artist"])
    wrong = client.post(
        "/api/tx/create_auction", json={**auction, "song_id": pps}, headers=auth["artist"]
    )
    assert wrong.status_code == 409 and "not on this strategy" in wrong.text
    for bad, field in (
        ({"floor_price": str(10 * ONE)}, "body"),
        ({"slots": 0}, "slots"),
        ({"duration": 0}, "duration"),
    ):
        response = client.post(
            "/api/tx/create_auction", json={**auction, **bad}, headers=auth["artist"]
        )
        message = assert_invalid(response, field)
        if field == "body":
            assert "floor_price" in message


def test_a_prepared_payment_offers_only_the_price_it_showed(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    sdk = platform.sdk
    song = register(client, platform, auth["artist"])
    fund(client, platform, auth["listener"], 10 * ONE)
    listener = auth.address("listener")
    act(client, platform, "set_price", {"song_id": song, "price": str(2 * 10**16)}, auth["artist"])
    index(platform)
    with platform.catalog.read() as session:
        assert SongRepository(session).require(song).stream_price == 2 * 10**16
    tx = prepare(client, "stream", {"song_id": song}, auth["listener"])
    assert tx["amount"] == str(2 * 10**16) and "0.02 FLOW" in tx["description"]
    # The artist raises the price after the listener was shown (and prepared) 0.02 FLOW.
    act(client, platform, "set_price", {"song_id": song, "price": str(5 * ONE)}, auth["artist"])
    # Not indexed yet: the API still shows, and so offers, 0.02 FLOW, and says the chain
    # now asks more instead of preparing a payment that would take it.
    stale = client.post("/api/tx/stream", json={"song_id": song}, headers=auth["listener"])
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "price_changed"
    balance, credits = sdk.flow_balance(listener), sdk.credits(auth.address("artist"))
    with pytest.raises(ContractLogicError, match="pps: payment below price"):
        send(platform, tx)
    assert sdk.flow_balance(listener) == balance
    assert sdk.credits(auth.address("artist")) == credits
    shown = client.post(
        "/api/tx/stream", json={"song_id": song, "max_price": str(10**16)}, headers=auth["listener"]
    )
    assert shown.status_code == 409 and shown.json()["error"]["code"] == "price_changed"
    index(platform)
    tx = prepare(client, "stream", {"song_id": song}, auth["listener"])
    assert tx["amount"] == str(5 * ONE)  # once listed, the new price is what is shown


def test_a_purchase_names_the_auction_it_was_shown(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    sdk = platform.sdk
    song = register(client, platform, auth["artist"], "dutch-auction-v1")
    auction = {
        "song_id": song,
        "start_price": str(10 * ONE),
        "floor_price": str(ONE),
        "duration": 3_600,
        "slots": 2,
    }
    act(client, platform, "create_auction", auction, auth["artist"])
    seen = sdk.auction_number(song)
    fund(client, platform, auth["patron"], 100 * ONE)
    body = {"song_id": song, "max_price": str(10 * ONE), "auction_number": seen}
    tx = prepare(client, "buy_slot", body, auth["patron"])
    assert f"auction #{seen}" in tx["description"]
    # Ended and re-created under the waiting buyer, at other terms.
    act(client, platform, "end_auction", {"song_id": song}, auth["artist"])
    act(
        client, platform, "create_auction", {**auction, "floor_price": str(9 * ONE)}, auth["artist"]
    )
    balance = sdk.flow_balance(auth.address("patron"))
    with pytest.raises(ContractLogicError, match=r"auction: (auction changed|not live)"):
        send(platform, tx)
    stale = client.post("/api/tx/buy_slot", json=body, headers=auth["patron"])
    assert stale.status_code == 409
    assert sdk.flow_balance(auth.address("patron")) == balance
    assert not sdk.is_authorized(song, auth.address("patron"))


def test_role_names_match_the_sdk_codes() -> None:
    assert {r.name: r.code for r in Role} == {r.name: int(r) for r in SdkRole}


def test_pay_refuses_unknown_payment_types(client: TestClient, auth: Session) -> None:
    response = client.post(
        "/api/tx/pay",
        json={"song_id": SONG, "amount": "1", "payment_type": "steal"},
        headers=auth["listener"],
    )
    assert_invalid(response, "payment_type")
    assert [k.name.lower() for k in PaymentType] == [
        "stream",
        "download",
        "tip",
        "patronage",
        "access",
    ]


def test_faucet_on_dev_chains_only(
    client: TestClient, platform: Platform, auth: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = auth.address("stranger")
    balance = platform.sdk.flow_balance(stranger)
    act(client, platform, "faucet", {"amount": str(5 * ONE)}, auth["stranger"])
    assert platform.sdk.flow_balance(stranger) == balance + 5 * ONE
    limit = platform.sdk.token.functions.faucet_limit().call()
    over = client.post("/api/tx/faucet", json={"amount": str(limit + 1)}, headers=auth["stranger"])
    assert "faucet" in assert_invalid(over, "amount")
    monkeypatch.setattr(platform.chain, "dev_accounts", ())
    off = client.post("/api/tx/faucet", json={"amount": "1"}, headers=auth["stranger"])
    assert off.status_code == 404


def test_prepared_transactions_are_counted(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    counter = platform.metrics.prepared.labels("approve")
    before = counter._value.get()
    prepare(client, "approve", {"amount": "1"}, auth["listener"])
    assert counter._value.get() == before + 1


def test_openapi_documents_wei_strings(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    tip = schema["components"]["schemas"]["TipIn"]["properties"]["amount"]
    assert tip["type"] == "string" and "wei" in tip["description"]
    assert "/api/tx/configure_splits" in schema["paths"]

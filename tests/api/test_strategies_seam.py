"""Strategies added through the seam (freemium, pay what you want) through the API with no
change outside their folders: their configuration transactions, economy view, plays and
refusals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from mycelix.chain.units import ONE
from mycelix.platform import Platform
from tests.api.helpers_endpoints import (
    Session,
    act,
    auth_fixture,  # noqa: F401  (the `auth` fixture)
    fund,
    register,
)


def test_freemium_free_plays_then_the_price(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "freemium-v1")
    body = {"song_id": song, "free_plays": 1, "price": str(2 * 10**16)}
    act(client, platform, "configure_freemium", body, auth["artist"])
    fresh = client.get(f"/api/songs/{song}/economy", headers=auth["listener"]).json()
    assert fresh["strategy"] == "freemium-v1" and fresh["authorized"] is False
    assert fresh["terms"]["free_plays"] == 1
    assert fresh["terms"]["listener"]["free_plays_left"] == 1
    assert fresh["stream_quote"]["wei"] == "0"
    fund(client, platform, auth["listener"], ONE)
    act(client, platform, "stream", {"song_id": song, "max_price": "0"}, auth["listener"])
    after = client.get(f"/api/songs/{song}/economy", headers=auth["listener"]).json()
    assert after["terms"]["listener"] == {
        "free_plays_taken": 1,
        "free_plays_left": 0,
        "next_play": after["terms"]["price"],
    }
    assert after["stream_quote"]["wei"] == str(2 * 10**16)
    shown = client.post(
        "/api/tx/stream", json={"song_id": song, "max_price": "1"}, headers=auth["listener"]
    )
    assert shown.status_code == 409 and shown.json()["error"]["code"] == "price_changed"


def test_freemium_configuration_is_the_artists_and_within_bounds(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "freemium-v1")
    too_high = {"song_id": song, "free_plays": 1, "price": str(2**128)}
    refused = client.post("/api/tx/configure_freemium", json=too_high, headers=auth["artist"])
    assert refused.status_code == 409
    assert "freemium: price above maximum" in refused.json()["error"]["message"]
    too_many = {"song_id": song, "free_plays": 1_001, "price": "1"}
    assert (
        client.post("/api/tx/configure_freemium", json=too_many, headers=auth["artist"]).status_code
        == 422
    )
    body = {"song_id": song, "free_plays": 1, "price": "1"}
    before = client.get(f"/api/songs/{song}/economy").json()["terms"]
    other = client.post("/api/tx/configure_freemium", json=body, headers=auth["listener"])
    assert other.status_code == 403
    assert client.post("/api/tx/configure_freemium", json=body).status_code == 401
    malformed = (
        {**body, "free_plays": -1},
        {**body, "price": "-1"},
        {**body, "price": "0"},
        {**body, "price": "1e3"},
        {**body, "price": "9" * 100},
        {**body, "song_id": "0x" + "zz" * 32},
    )
    for bad in malformed:
        answer = client.post("/api/tx/configure_freemium", json=bad, headers=auth["artist"])
        assert answer.status_code == 422, (bad, answer.text)
    # Preparing is read-only: the artist's concurrent requests get the same transaction, a
    # stranger's concurrent ones are all refused, and the terms stay as they were.
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(
                lambda who: client.post("/api/tx/configure_freemium", json=body, headers=who),
                [auth["artist"], auth["listener"]] * 3,
            )
        )
    assert [a.status_code for a in answers] == [200, 403] * 3
    assert len({str(a.json()["data"]) for a in answers[::2]}) == 1
    assert client.get(f"/api/songs/{song}/economy").json()["terms"] == before


def test_pay_what_you_want_minimum_suggestion_and_chosen_amounts(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "pay-what-you-want-v1")
    body = {"song_id": song, "minimum": str(10**15), "suggested": str(3 * 10**16)}
    act(client, platform, "configure_pay_what_you_want", body, auth["artist"])
    out = client.get(f"/api/songs/{song}/economy").json()
    assert out["terms"] == {
        "minimum": {"wei": str(10**15), "flow": "0.001"},
        "suggested": {"wei": str(3 * 10**16), "flow": "0.03"},
    }
    assert out["stream_quote"]["wei"] == str(10**15)
    fund(client, platform, auth["listener"], ONE)
    chosen = 10**15 + 12_345
    tx = act(
        client, platform, "stream", {"song_id": song, "max_price": str(chosen)}, auth["listener"]
    )
    assert tx["amount"] == str(chosen)
    wrong = {"song_id": song, "minimum": "2", "suggested": "1"}
    refused = client.post("/api/tx/configure_pay_what_you_want", json=wrong, headers=auth["artist"])
    assert refused.status_code == 409
    assert "pwyw: minimum above suggested" in refused.json()["error"]["message"]


def test_pay_what_you_want_terms_are_the_artists_and_well_formed(
    client: TestClient, platform: Platform, auth: Session
) -> None:
    song = register(client, platform, auth["artist"], "pay-what-you-want-v1")
    before = client.get(f"/api/songs/{song}/economy").json()["terms"]
    body = {"song_id": song, "minimum": "1", "suggested": "2"}
    other = client.post("/api/tx/configure_pay_what_you_want", json=body, headers=auth["listener"])
    assert other.status_code == 403
    assert client.post("/api/tx/configure_pay_what_you_want", json=body).status_code == 401
    malformed = ({**body, "minimum": "-1"}, {**body, "suggested": "1.5"}, {**body, "song_id": "0"})
    for bad in malformed:
        answer = client.post(
            "/api/tx/configure_pay_what_you_want", json=bad, headers=auth["artist"]
        )
        assert answer.status_code == 422, (bad, answer.text)
    assert client.get(f"/api/songs/{song}/economy").json()["terms"] == before

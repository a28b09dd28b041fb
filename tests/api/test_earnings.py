"""`GET /api/earnings` (exact sums, groupings, filters, CSV), `GET /api/plays` and
`GET /api/payments` (cursor pages), over a catalogue seeded as the indexer would."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from mycelix.catalog.repositories import ArtistRepository, PlayRepository
from mycelix.chain.units import ONE
from mycelix.platform import Platform
from tests.api.conftest import assert_invalid
from tests.api.helpers_endpoints import day, describe_song, seed_payment

ARTIST = "0x" + "a1" * 20
PRODUCER = "0x" + "b2" * 20
TREASURY = "0x" + "c3" * 20
LISTENER = "0x" + "d4" * 20
OTHER_ARTIST = "0x" + "e5" * 20


@pytest.fixture(scope="module")
def songs(platform: Platform) -> dict[str, str]:
    """Two songs of ARTIST (one split 70/30 with PRODUCER), one of OTHER_ARTIST."""
    hit = describe_song(platform, ARTIST, '=HYPERLINK("x")')
    gift = describe_song(platform, ARTIST, 'Free, "quoted"', strategy="gift-economy-v1")
    other = describe_song(platform, OTHER_ARTIST, "Elsewhere")
    with platform.catalog.write() as session:
        ArtistRepository(session).update_profile(ARTIST, name="The Artist")
    split = [(ARTIST, 7000), (PRODUCER, 3000)]
    # hit: 3 streams of 0.01 FLOW on day 0, 0, 1 (fee 1 % each)
    for n, d in enumerate((0, 0, 1)):
        seed_payment(
            platform,
            hit,
            payer=LISTENER,
            amount=10**16,
            shares=split,
            treasury=TREASURY,
            at=day(d, n),
        )
    # gift: one 1-FLOW tip on day 1 to the artist alone
    seed_payment(
        platform,
        gift,
        payer=LISTENER,
        amount=ONE,
        shares=[(ARTIST, 10_000)],
        treasury=TREASURY,
        at=day(1, 5),
        strategy="gift-economy-v1",
        payment_type=2,
    )
    # other: a big payment, beyond 2**64, to check exactness
    seed_payment(
        platform,
        other,
        payer=LISTENER,
        amount=3 * 10**25 + 7,
        shares=[(OTHER_ARTIST, 10_000)],
        treasury=TREASURY,
        at=day(2),
    )
    with platform.catalog.write() as session:
        plays = PlayRepository(session)
        for i in range(5):
            plays.record(hit, played_at=day(0, i), listener=LISTENER)
        plays.record(gift, played_at=day(3), listener=None)
    return {"hit": hit, "gift": gift, "other": other}


STREAM_NET = 10**16 - 10**14  # 0.0099 FLOW
PRODUCER_SHARE = STREAM_NET * 3000 // 10_000
ARTIST_SHARE = STREAM_NET - PRODUCER_SHARE


def test_total_for_a_recipient(client: TestClient, songs: dict[str, str]) -> None:
    out = client.get("/api/earnings", params={"recipient": ARTIST}).json()
    expected = 3 * ARTIST_SHARE + ONE * 99 // 100
    assert out["total"] == {"wei": str(expected), "flow": "1.01079"}
    assert out["rows"] == [{"key": "total", "label": None, "amount": out["total"]}]
    assert out["filters"]["recipient"].lower() == ARTIST and out["filters"]["kind"] == "split"


def test_group_by_song_strategy_day_recipient(client: TestClient, songs: dict[str, str]) -> None:
    by_song = client.get("/api/earnings", params={"artist": ARTIST, "group": "song"}).json()
    assert [(r["key"], r["amount"]["wei"]) for r in by_song["rows"]] == [
        (songs["gift"], str(ONE * 99 // 100)),
        (songs["hit"], str(3 * STREAM_NET)),
    ]
    assert by_song["rows"][1]["label"] == '=HYPERLINK("x")'
    assert by_song["total"]["wei"] == str(ONE * 99 // 100 + 3 * STREAM_NET)

    by_strategy = client.get("/api/earnings", params={"artist": ARTIST, "group": "strategy"})
    assert [r["key"] for r in by_strategy.json()["rows"]] == [
        "gift-economy-v1",
        "pay-per-stream-v1",
    ]
    by_day = client.get("/api/earnings", params={"song": songs["hit"], "group": "day"}).json()
    assert [(r["key"], r["amount"]["wei"]) for r in by_day["rows"]] == [
        ("2025-03-01", str(2 * STREAM_NET)),
        ("2025-03-02", str(STREAM_NET)),
    ]
    by_recipient = client.get(
        "/api/earnings", params={"song": songs["hit"], "group": "recipient"}
    ).json()
    rows = {r["key"].lower(): (r["label"], r["amount"]["wei"]) for r in by_recipient["rows"]}
    assert rows == {
        ARTIST: ("The Artist", str(3 * ARTIST_SHARE)),
        PRODUCER: (None, str(3 * PRODUCER_SHARE)),
    }


def test_filters_and_exact_big_amounts(client: TestClient, songs: dict[str, str]) -> None:
    big = 3 * 10**25 + 7
    fee = big // 100
    out = client.get("/api/earnings", params={"artist": OTHER_ARTIST}).json()
    assert out["total"]["wei"] == str(big - fee)
    assert out["total"]["flow"] == "29700000.000000000000000007"
    fees = client.get("/api/earnings", params={"recipient": TREASURY, "kind": "fee"}).json()
    assert fees["total"]["wei"] == str(3 * 10**14 + ONE // 100 + fee)
    window = client.get(
        "/api/earnings",
        params={"artist": ARTIST, "since": "2025-03-02T00:00:00Z", "until": "2025-03-03"},
    ).json()
    assert window["total"]["wei"] == str(STREAM_NET + ONE * 99 // 100)
    gift_only = client.get(
        "/api/earnings", params={"artist": ARTIST, "strategy": "gift-economy-v1"}
    ).json()
    assert gift_only["total"]["wei"] == str(ONE * 99 // 100)
    nobody = client.get("/api/earnings", params={"recipient": "0x" + "99" * 20}).json()
    assert nobody["total"] == {"wei": "0", "flow": "0"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group": "month"}, "query.group"),
        ({"artist": "0x1234"}, "query.artist"),
        ({"song": "nope"}, "query.song"),
        ({"strategy": "free-v1"}, "query.strategy"),
        ({"since": "2025-03-02", "until": "2025-03-01"}, "since"),
        ({"since": "yesterday"}, "query.since"),
        ({"kind": "bonus"}, "query.kind"),
        ({"format": "xml"}, "query.format"),
    ],
)
def test_bad_queries_are_422(client: TestClient, params: dict[str, str], field: str) -> None:
    assert_invalid(client.get("/api/earnings", params=params), field)


def test_csv_export(client: TestClient, songs: dict[str, str]) -> None:
    response = client.get(
        "/api/earnings", params={"artist": ARTIST, "group": "song", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="earnings-song.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["song", "label", "amount_wei", "amount_flow"]
    assert rows[1] == [songs["gift"], 'Free, "quoted"', str(ONE * 99 // 100), "0.99"]
    # a title that looks like a formula is neutralised for spreadsheets
    assert rows[2] == [songs["hit"], '\'=HYPERLINK("x")', str(3 * STREAM_NET), "0.0297"]
    by_accept = client.get(
        "/api/earnings", params={"artist": ARTIST}, headers={"Accept": "text/csv"}
    )
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text.splitlines()[0] == "total,label,amount_wei,amount_flow"
    json_wins = client.get(
        "/api/earnings",
        params={"artist": ARTIST, "format": "json"},
        headers={"Accept": "text/csv"},
    )
    assert json_wins.headers["content-type"].startswith("application/json")


def test_plays_pages_with_a_cursor(client: TestClient, songs: dict[str, str]) -> None:
    first = client.get("/api/plays", params={"song": songs["hit"], "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert first["items"][0]["played_at"] > first["items"][1]["played_at"]
    seen = [p["played_at"] for p in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(
            "/api/plays", params={"song": songs["hit"], "limit": 2, "cursor": cursor}
        ).json()
        seen += [p["played_at"] for p in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5 and seen == sorted(seen, reverse=True)
    by_listener = client.get("/api/plays", params={"listener": LISTENER}).json()["items"]
    assert {p["song_id"] for p in by_listener} == {songs["hit"]}
    assert by_listener[0]["listener"].lower() == LISTENER and by_listener[0]["paid"] is False
    recent = client.get(
        "/api/plays", params={"song": songs["hit"], "since": "2025-03-01T14:00:00Z"}
    ).json()["items"]
    assert len(recent) == 3
    bad = client.get("/api/plays", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["message"]
    assert_invalid(client.get("/api/plays", params={"limit": 0}), "query.limit")


def test_payment_history(client: TestClient, songs: dict[str, str]) -> None:
    first = client.get("/api/payments", params={"payer": LISTENER, "limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = client.get(
        "/api/payments", params={"payer": LISTENER, "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    items = first["items"] + rest["items"]
    assert len(items) == 5 and rest["next_cursor"] is None
    assert [p["block_number"] for p in items] == sorted(
        (p["block_number"] for p in items), reverse=True
    )
    tip = next(p for p in items if p["song_id"] == songs["gift"])
    assert tip["payment_type"] == "tip" and tip["strategy"] == "gift-economy-v1"
    assert tip["amount"]["flow"] == "1" and tip["fee"]["flow"] == "0.01"
    assert tip["net"]["wei"] == str(ONE * 99 // 100)
    one_song = client.get("/api/payments", params={"song": songs["hit"]}).json()["items"]
    assert len(one_song) == 3
    assert client.get("/api/payments", params={"cursor": "x"}).status_code == 400

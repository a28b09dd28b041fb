"""docs/metrics.md and the registry list the same families, and a scripted flow (upload, register,
pay, tip, subscribe, buy, withdraw, …) leaves a sample of every documented family on /metrics."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mycelix.chain.units import DAY, ONE, PaymentType
from mycelix.ops.metrics import Metrics
from mycelix.platform import Platform
from mycelix.sdk import ContractRevert, Tier
from tests.support import media as fixtures

from .conftest import sign_in
from .helpers_endpoints import send
from .test_content import index, publish, upload

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def documented() -> list[str]:
    return re.findall(r"^\| `(mycelix_[a-z_]+)` \|", DOC.read_text(), flags=re.M)


def exported_name(family: object) -> str:
    name = family.name  # type: ignore[attr-defined]
    kind = family.type  # type: ignore[attr-defined]
    return f"{name}_total" if kind == "counter" else f"{name}_info" if kind == "info" else name


def test_docs_and_registry_agree() -> None:
    registry = {exported_name(f) for f in Metrics().registry.collect()}
    assert set(documented()) == registry
    assert len(registry) >= 30


def test_scripted_flow_samples_every_family(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist, listener, patron = accounts["artist"], accounts["listener"], accounts["patron"]
    headers = sign_in(client, artist)
    # Upload (twice: the second is deduplicated) and register songs under each strategy.
    wav = fixtures.wav_bytes(seconds=1.0, seed=41)
    assert upload(client, headers, "audio", wav).status_code == 201
    assert upload(client, headers, "audio", wav).status_code == 201
    paid = publish(
        platform, client, headers, artist.address, "Metered", "pay-per-stream-v1", seed=42
    )
    gift = publish(platform, client, headers, artist.address, "Given", "gift-economy-v1", seed=43)
    channel = publish(
        platform, client, headers, artist.address, "Patron Channel", "patronage-v1", seed=44
    )
    limited = publish(
        platform, client, headers, artist.address, "Limited", "dutch-auction-v1", seed=45
    )
    splits = client.post(
        "/api/tx/configure_splits",
        json={
            "song_id": paid,
            "splits": [
                {"recipient": artist.address, "bps": 8000, "role": "artist"},
                {"recipient": accounts["producer"].address, "bps": 2000, "role": "producer"},
            ],
        },
        headers=headers,
    )
    assert splits.status_code == 200, splits.text
    send(platform, splits.json())

    artist_sdk = platform.sdk.as_account(artist)
    artist_sdk.configure_patronage(
        [Tier("fan", ONE), Tier("inner circle", 3 * ONE, exclusive=True)]
    )
    artist_sdk.create_auction(
        limited, start_price=Decimal(5), floor_price=Decimal(1), duration=7 * DAY, slots=3
    )
    # A listener pays, tips, listens free; a patron subscribes; both buy slots.
    fan = platform.sdk.as_account(listener)
    fan.faucet(Decimal(100))
    fan.stream(paid)
    fan.tip(gift, Decimal(1))
    fan.stream(gift)
    supporter = platform.sdk.as_account(patron)
    supporter.faucet(Decimal(100))
    supporter.become_patron(channel, tier=1)
    fan.buy_slot(limited, max_price=Decimal(5))
    with contextlib.suppress(ContractRevert):
        fan.quote(paid, PaymentType.ACCESS)  # a refused call: counted as an RPC error
    index(platform)
    artist_sdk.withdraw()
    index(platform)

    listener_headers = sign_in(client, listener)
    platform.extras.get("stream_auth", {}).clear()
    assert (
        client.get(
            f"/api/songs/{paid}/audio", headers={**listener_headers, "Range": "bytes=0-9"}
        ).status_code
        == 206
    )
    assert (
        client.get(f"/api/songs/{limited}/audio", headers={"Range": "bytes=0-9"}).status_code == 403
    )
    assert client.get(f"/api/songs/{gift}/audio", headers={"Range": "bytes=0-9"}).status_code == 206
    assert (
        client.get(f"/api/songs/{gift}/audio", headers={"Range": "bytes=0-9"}).status_code == 206
    )  # cached answer
    assert client.get("/api/songs/0x" + "00" * 32).status_code == 404
    assert (
        client.post("/api/tx/stream", json={"song_id": paid}, headers=listener_headers).status_code
        == 200
    )
    event = {"events": [{"name": "play_start", "song_id": gift, "properties": {"position": 0}}]}
    assert (
        client.post("/api/analytics/events", json=event, headers=listener_headers).status_code
        == 202
    )
    statuses = [client.get("/api/auth/nonce").status_code for _ in range(70)]
    assert 429 in statuses

    families = {
        exported_name(f): f for f in text_string_to_metric_families(client.get("/metrics").text)
    }
    empty = [name for name in documented() if name not in families or not families[name].samples]
    assert not empty, f"families without a sample: {empty}"
    text = client.get("/metrics").text
    assert 'mycelix_payments_total{strategy="pay-per-stream-v1",type="stream"}' in text
    assert 'mycelix_patronage_payments_total{kind="joined"}' in text

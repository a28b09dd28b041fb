"""docs/metrics.md and the registry list the same families, and a scripted flow (upload,
register, pay, tip, subscribe, buy, withdraw, a reorg, …) moves every documented family: each
step reads `/metrics` before and after and asserts the series it should move rose (by the
exact amount where the step fixes it). A family that merely exists proves nothing:
`prometheus_client` exports unlabelled families at 0 as soon as they are registered."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from mycelix import __version__
from mycelix.chain.units import DAY, ONE, PaymentType
from mycelix.ops.metrics import Metrics
from mycelix.platform import Platform
from mycelix.sdk import ContractRevert, Tier
from tests.support import media as fixtures

from .conftest import sign_in
from .helpers_endpoints import send
from .helpers_metrics import Exposition, Moves, scrape, series
from .test_content import index, publish, upload

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
PPS, GIFT = "pay-per-stream-v1", "gift-economy-v1"
SONG_ROUTE = "/api/songs/{song_id}"
VERIFY = "/api/auth/verify"


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


# Families this flow cannot move, and the tests that see them move.
MOVED_ELSEWHERE = {
    # Vouchers: tests/vouchers/test_api.py (queued, settled, batch gas) and
    # test_settlement.py (skipped, by reason).
    "mycelix_vouchers_queued_total": "tests/vouchers/test_api.py",
    "mycelix_vouchers_settled_total": "tests/vouchers/test_api.py",
    "mycelix_vouchers_skipped_total": "tests/vouchers/test_settlement.py",
    "mycelix_voucher_batch_gas": "tests/vouchers/test_api.py",
    "mycelix_indexer_reorgs_total": "test_a_reorg_moves_the_reorg_counter (below)",
    # The supervisor runs only under `serve`: tests/api/test_indexer_supervision.py.
    "mycelix_indexer_up": "test_indexer_supervision.py",
    "mycelix_indexer_restarts_total": "test_indexer_supervision.py",
    "mycelix_indexer_last_batch_timestamp_seconds": "test_indexer_supervision.py",
    # Gauges of the filesystem, not of anything a step does: asserted positive below.
    "mycelix_data_dir_free_bytes": "this flow (positive)",
    "mycelix_data_dir_size_bytes": "this flow (positive)",
}


def test_scripted_flow_moves_every_family(platform: Platform, client: TestClient, accounts) -> None:
    artist, listener, patron = accounts["artist"], accounts["listener"], accounts["patron"]
    moves = Moves(client)
    rise = moves.rise

    build = series("mycelix_build_info", version=__version__)
    assert scrape(client).value(build) == 1
    moves.risen.add(build.family)  # set once, at start-up: its value is the version label

    with rise(
        series("mycelix_http_requests_total", method="POST", route=VERIFY, status="200"),
        series("mycelix_http_request_duration_seconds_count", route=VERIFY),
        by={
            series("mycelix_siwe_nonces_issued_total"): 1,
            series("mycelix_siwe_logins_total", outcome="success"): 1,
        },
    ):
        headers = sign_in(client, artist)

    wav = fixtures.wav_bytes(seconds=1.0, seed=41)
    with rise(
        by={
            series("mycelix_uploads_total", kind="audio", outcome="stored"): 1,
            series("mycelix_upload_bytes_total", kind="audio"): len(wav),
            series("mycelix_upload_deduplicated_total", kind="audio"): 0,
        }
    ):
        assert upload(client, headers, "audio", wav).status_code == 201
    with rise(by={series("mycelix_upload_deduplicated_total", kind="audio"): 1}):
        assert upload(client, headers, "audio", wav).status_code == 201

    with rise(
        series("mycelix_indexer_events_total", event="SongRegistered"),
        series("mycelix_indexer_batch_duration_seconds_count"),
        series("mycelix_indexer_head_block"),
        series("mycelix_chain_head_block"),
        by={series("mycelix_songs_registered_total", strategy=PPS): 1},
    ):
        paid = publish(platform, client, headers, artist.address, "Metered", PPS, seed=42)
    gift = publish(platform, client, headers, artist.address, "Given", GIFT, seed=43)
    channel = publish(
        platform, client, headers, artist.address, "Patron Channel", "patronage-v1", seed=44
    )
    limited = publish(
        platform, client, headers, artist.address, "Limited", "dutch-auction-v1", seed=45
    )

    with rise(by={series("mycelix_prepared_transactions_total", action="configure_splits"): 1}):
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
    with rise(by={series("mycelix_splits_configured_total"): 1}):
        send(platform, splits.json())
        index(platform)

    artist_sdk = platform.sdk.as_account(artist)
    artist_sdk.configure_patronage(
        [Tier("fan", ONE), Tier("inner circle", 3 * ONE, exclusive=True)]
    )
    artist_sdk.create_auction(
        limited, start_price=Decimal(5), floor_price=Decimal(1), duration=7 * DAY, slots=3
    )
    fan = platform.sdk.as_account(listener)
    fan.faucet(Decimal(100))
    with rise(
        series("mycelix_revenue_flow_total", strategy=PPS, type="stream"),
        series("mycelix_protocol_fees_flow_total"),
        by={
            series("mycelix_plays_total", strategy=PPS): 1,
            series("mycelix_payments_total", strategy=PPS, type="stream"): 1,
        },
    ):
        fan.stream(paid)
        index(platform)
    with rise(
        series("mycelix_cgc_minted_total"),
        by={
            series("mycelix_payments_total", strategy=GIFT, type="tip"): 1,
            series("mycelix_plays_total", strategy=GIFT): 1,
        },
    ):
        fan.tip(gift, Decimal(1))
        fan.stream(gift)
        index(platform)
    supporter = platform.sdk.as_account(patron)
    supporter.faucet(Decimal(100))
    with rise(by={series("mycelix_patronage_payments_total", kind="joined"): 1}):
        supporter.become_patron(channel, tier=1)
        index(platform)
    with rise(by={series("mycelix_auction_slots_sold_total"): 1}):
        fan.buy_slot(limited, max_price=Decimal(5))
        index(platform)
    with (
        rise(
            series("mycelix_chain_rpc_errors_total", method="eth_call"),
            series("mycelix_chain_rpc_duration_seconds_count", method="eth_call"),
        ),
        contextlib.suppress(ContractRevert),
    ):
        fan.quote(paid, PaymentType.ACCESS)  # refused by the strategy
    with rise(series("mycelix_withdrawals_flow_total")):
        artist_sdk.withdraw()
        index(platform)

    listener_headers = sign_in(client, listener)
    platform.extras.get("stream_auth", {}).clear()
    with rise(
        series("mycelix_cache_requests_total", cache="stream_auth", result="miss"),
        by={
            series("mycelix_streams_total", status="206"): 1,
            series("mycelix_stream_bytes_total"): 10,
        },
    ):
        audio = client.get(
            f"/api/songs/{paid}/audio", headers={**listener_headers, "Range": "bytes=0-9"}
        )
        assert audio.status_code == 206
    with rise(by={series("mycelix_stream_denied_total", reason="no_slot"): 1}):
        denied = client.get(f"/api/songs/{limited}/audio", headers={"Range": "bytes=0-9"})
        assert denied.status_code == 403
    assert client.get(f"/api/songs/{gift}/audio", headers={"Range": "bytes=0-9"}).status_code == 206
    with rise(by={series("mycelix_cache_requests_total", cache="stream_auth", result="hit"): 1}):
        again = client.get(f"/api/songs/{gift}/audio", headers={"Range": "bytes=0-9"})
        assert again.status_code == 206
    with rise(
        by={
            series("mycelix_http_requests_total", method="GET", route=SONG_ROUTE, status="404"): 1,
            series("mycelix_http_errors_total", route=SONG_ROUTE, code="not_found"): 1,
        }
    ):
        assert client.get("/api/songs/0x" + "00" * 32).status_code == 404
    with rise(
        series("mycelix_db_query_duration_seconds_count", operation="SELECT"),
        by={series("mycelix_cache_requests_total", cache="songs", result="miss"): 1},
    ):
        assert client.get(f"/api/songs/{gift}").status_code == 200
    with rise(
        by={
            series("mycelix_cache_requests_total", cache="songs", result="hit"): 1,
            series("mycelix_db_query_duration_seconds_count", operation="SELECT"): 0,
        }
    ):
        assert client.get(f"/api/songs/{gift}").status_code == 200
    event = {"events": [{"name": "play_start", "song_id": gift, "properties": {"position": 0}}]}
    with rise(by={series("mycelix_analytics_events_total", name="play_start"): 1}):
        ingested = client.post("/api/analytics/events", json=event, headers=listener_headers)
        assert ingested.status_code == 202

    # In flight: nothing while idle (read from the registry directly), the scrape itself while
    # it is being answered.
    in_flight = series("mycelix_http_requests_in_flight")
    idle = Exposition.parse(generate_latest(platform.metrics.registry).decode())
    assert idle.value(in_flight) == 0
    assert scrape(client).value(in_flight) == 1
    moves.risen.add(in_flight.family)

    # Lag: three new blocks, one of them indexed, leaves the indexer two behind.
    indexer = platform.extras["indexer"]
    lag = series("mycelix_indexer_lag_blocks")
    assert scrape(client).value(lag) == 0
    assert platform.chain.embedded is not None
    platform.chain.embedded.mine(3)
    batch, indexer.batch_blocks = indexer.batch_blocks, 1
    try:
        with rise(by={lag: 2}):
            indexer.run_once(max_batches=1)
    finally:
        indexer.batch_blocks = batch
    index(platform)
    assert scrape(client).value(lag) == 0

    with rise(series("mycelix_rate_limited_total", route="/api/auth/nonce")):
        statuses = [client.get("/api/auth/nonce").status_code for _ in range(70)]
        assert 429 in statuses

    # The disk gauges are read at each scrape (0 until the platform watches its data dir).
    for family in ("mycelix_data_dir_free_bytes", "mycelix_data_dir_size_bytes"):
        assert scrape(client).value(series(family)) > 0, family
    unmoved = set(documented()) - moves.risen - set(MOVED_ELSEWHERE)
    assert not unmoved, f"families no step moved: {sorted(unmoved)}"


def test_a_reorg_moves_the_reorg_counter(platform: Platform, client: TestClient, accounts) -> None:
    """Index a branch, rewind the chain (evm_snapshot/evm_revert, as tests/indexer does), grow
    another branch past the old head: the indexer undoes the orphaned blocks, once. Runs last
    in the module: the rewind leaves the SDK's cached nonces ahead of the chain, so the
    transfers go through the node's `eth_sendTransaction`, which reads them afresh."""
    w3 = platform.chain.w3
    payer, payee = accounts["stranger"].address, accounts["owner"].address
    embedded = platform.chain.embedded
    assert embedded is not None

    def rpc(method: str, *params: object) -> object:
        answer = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in answer, answer
        return answer["result"]

    def transfer(wei: int) -> None:
        tx = w3.eth.send_transaction({"from": payer, "to": payee, "value": wei})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    reorgs = series("mycelix_indexer_reorgs_total")
    index(platform)
    snapshot = rpc("evm_snapshot")
    with Moves(client).rise(by={reorgs: 0}):
        transfer(1)
        index(platform)
    old_head = w3.eth.block_number
    rpc("evm_revert", snapshot)
    transfer(2)
    embedded.mine(old_head + 2 - w3.eth.block_number)
    moves = Moves(client)
    with moves.rise(by={reorgs: 1}):
        index(platform)
    assert scrape(client).value(series("mycelix_indexer_head_block")) == w3.eth.block_number

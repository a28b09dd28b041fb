"""`POST /api/vouchers`: a signed voucher is the proof of payment for a gated stream (it plays at
once, before it settles), queued durably; bad vouchers are refused with a reason and queue
nothing; the settlement worker settles the queue and the indexer records the plays."""

from __future__ import annotations

from eth_account.messages import encode_typed_data
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mycelix.chain.units import DAY, ONE
from mycelix.chain.vouchers import SignedVoucher, Voucher, signer
from mycelix.platform import Platform
from mycelix.vouchers.models import QueuedVoucher
from mycelix.vouchers.repository import VoucherRepository
from mycelix.vouchers.settlement import SettlementWorker
from tests.api.helpers_metrics import scrape, series
from tests.api.test_content import index, publish

from .conftest import PRICE, body, make_fan, register, sign_in, voucher_for


def queued(platform: Platform) -> int:
    with platform.catalog.read() as session:
        return int(session.scalar(select(func.count(QueuedVoucher.id))) or 0)


def test_a_voucher_pays_for_the_stream_at_once_and_settles_later(
    platform: Platform, client: TestClient, accounts, worker: SettlementWorker
) -> None:
    artist = accounts["artist"]
    song = publish(
        platform, client, sign_in(client, artist), artist.address, "Paid Spores",
        "pay-per-stream-v1", seed=21,
    )  # fmt: skip
    fan = make_fan(platform, client, "streamer")
    audio = f"/api/songs/{song}/audio"
    refused = client.get(audio, headers=fan.headers)
    assert refused.status_code == 403
    assert "POST /api/vouchers" in refused.json()["error"]["message"]

    before = scrape(client)
    answer = client.post(
        "/api/vouchers", json=body(voucher_for(platform, fan, song, 0)), headers=fan.headers
    )
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "listener": fan.address, "song_id": song, "nonce": 0, "amount": str(PRICE),
        "status": "queued",
    }  # fmt: skip
    assert client.get(audio, headers=fan.headers).status_code == 200
    account = client.get(f"/api/vouchers/account/{fan.address}").json()
    assert account["balance"] == str(ONE) and account["unsettled"] == str(PRICE)
    assert account["available"] == str(ONE - PRICE) and account["next_nonce"] == 1

    artist_credits = platform.sdk.credits(artist.address)
    assert worker.step(force=True) == 1
    with platform.catalog.read() as session:
        row = VoucherRepository(session).get(fan.address, 0)
        assert row is not None and (row.status, int(row.charged or 0)) == ("settled", PRICE)
    assert platform.sdk.credits(artist.address) - artist_credits == PRICE - PRICE // 100
    assert fan.sdk.balance.amount() == ONE - PRICE
    index(platform)
    after = scrape(client)
    assert (
        after.value(series("mycelix_vouchers_queued_total"))
        - before.value(series("mycelix_vouchers_queued_total"))
        == 1
    )
    assert (
        after.value(series("mycelix_vouchers_settled_total"))
        - before.value(series("mycelix_vouchers_settled_total"))
        == 1
    )
    assert after.value(series("mycelix_voucher_batch_gas_count")) > before.value(
        series("mycelix_voucher_batch_gas_count")
    )
    plays = client.get("/api/plays", params={"song": song}).json()["items"]
    assert [(p["listener"], p["paid"]) for p in plays] == [(fan.address, True)]
    account = client.get(f"/api/vouchers/account/{fan.address}").json()
    assert account["unsettled"] == "0" and account["balance"] == str(ONE - PRICE)


def test_typed_data_is_what_the_wallet_signs(
    platform: Platform, client: TestClient, accounts
) -> None:
    fan = make_fan(platform, client, "typed", deposit=0)
    song = "0x" + "ab" * 32
    params = {
        "listener": fan.address,
        "song_id": song,
        "amount": str(PRICE),
        "nonce": 4,
        "expiry": 99,
    }
    data = client.get("/api/vouchers/typed-data", params=params).json()
    assert data["domain"]["verifyingContract"] == platform.manifest.router
    assert data["domain"]["chainId"] == platform.manifest.chain_id
    signature = fan.account.sign_message(encode_typed_data(full_message=data)).signature
    same = SignedVoucher(
        Voucher(fan.address, bytes.fromhex(song[2:]), PRICE, 4, 99), bytes(signature)
    )
    assert signer(same, platform.manifest.chain_id, platform.manifest.router) == fan.address


def test_bad_vouchers_are_refused_and_queue_nothing(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist = platform.sdk.as_account(accounts["artist"])
    song = register(platform, artist, "refusals")
    fan = make_fan(platform, client, "refused")
    other = make_fan(platform, client, "refused other")
    poor = make_fan(platform, client, "refused poor", deposit=PRICE // 2)
    good = voucher_for(platform, fan, song, 3)
    forged = SignedVoucher(good.voucher, voucher_for(platform, other, song, 3).signature)
    cases = [
        (body(good), {}, 401, "unauthenticated"),
        (body(good), other.headers, 403, "forbidden"),
        (body(forged), fan.headers, 422, "bad_signature"),
        (
            body(voucher_for(platform, fan, song, 5, amount=PRICE - 1)),
            fan.headers,
            422,
            "invalid_request",
        ),
        (body(voucher_for(platform, fan, song, 6, life=60)), fan.headers, 422, "invalid_request"),
        (
            body(voucher_for(platform, fan, song, 7, life=2 * DAY)),
            fan.headers,
            422,
            "invalid_request",
        ),
        (body(voucher_for(platform, poor, song, 0)), poor.headers, 409, "balance_too_low"),
        ({**body(good), "signature": "0x12"}, fan.headers, 422, "invalid_request"),
    ]
    before = queued(platform)
    for payload, headers, status, code in cases:
        answer = client.post("/api/vouchers", json=payload, headers=headers)
        assert answer.status_code == status, (payload, answer.text)
        assert answer.json()["error"]["code"] == code, answer.text
    assert queued(platform) == before

    assert client.post("/api/vouchers", json=body(good), headers=fan.headers).status_code == 202
    again = client.post("/api/vouchers", json=body(good), headers=fan.headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "nonce_used")
    # The balance covers vouchers on top of the unsettled ones only.
    tight = make_fan(platform, client, "tight", deposit=PRICE + PRICE // 2)
    first = client.post(
        "/api/vouchers", json=body(voucher_for(platform, tight, song, 0)), headers=tight.headers
    )
    assert first.status_code == 202
    second = client.post(
        "/api/vouchers", json=body(voucher_for(platform, tight, song, 1)), headers=tight.headers
    )
    assert (second.status_code, second.json()["error"]["code"]) == (409, "balance_too_low")
    # A listener giving notice signs no more.
    fan.sdk.balance.request_withdrawal()
    late = client.post(
        "/api/vouchers", json=body(voucher_for(platform, fan, song, 8)), headers=fan.headers
    )
    assert (late.status_code, late.json()["error"]["code"]) == (409, "withdrawal_pending")
    assert queued(platform) == before + 2


def test_a_nonce_settled_on_chain_is_refused(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist = platform.sdk.as_account(accounts["artist"])
    song = register(platform, artist, "settled elsewhere")
    fan = make_fan(platform, client, "elsewhere")
    signed = voucher_for(platform, fan, song, 0)
    fan.sdk.balance.settle([signed])
    answer = client.post("/api/vouchers", json=body(signed), headers=fan.headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "nonce_used")


def test_concurrent_vouchers_never_overdraw_or_queue_a_nonce_twice(
    platform: Platform, client: TestClient, accounts
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    artist = platform.sdk.as_account(accounts["artist"])
    song = register(platform, artist, "concurrent")
    # Covers one play and a half: of six different vouchers sent at once, one is queued (on
    # PostgreSQL the balance check and the insert hold the listener's advisory lock).
    tight = make_fan(platform, client, "concurrent tight", deposit=PRICE + PRICE // 2)
    before = queued(platform)
    six = [body(voucher_for(platform, tight, song, n)) for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda b: client.post("/api/vouchers", json=b, headers=tight.headers), six)
        )
    assert sorted(a.status_code for a in answers) == [202] + [409] * 5
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "balance_too_low"
    }
    # The same voucher eight times at once: queued once.
    fan = make_fan(platform, client, "concurrent replay")
    same = body(voucher_for(platform, fan, song, 0))
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda _: client.post("/api/vouchers", json=same, headers=fan.headers).status_code,
                range(8),
            )
        )
    assert codes.count(202) == 1 and codes.count(409) == 7
    assert queued(platform) == before + 2

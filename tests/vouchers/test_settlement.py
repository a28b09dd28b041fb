"""The settlement worker: batches by size, one leader across workers, and no voucher lost or
settled twice across a crash at any point between queueing and recording the outcome; 200 plays
by 20 listeners through the API settle in batches to exactly the credits direct payments make."""

from __future__ import annotations

import time
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import select

from mycelix.chain.units import ONE
from mycelix.platform import Platform
from mycelix.sdk import Split
from mycelix.vouchers.models import QueuedVoucher
from mycelix.vouchers.repository import VoucherRepository
from mycelix.vouchers.settlement import SettlementWorker, wait_settled
from tests.api.test_content import index

from .conftest import PRICE, body, make_fan, register, voucher_for


def rows(platform: Platform, listener: str) -> list[tuple[int, str, str | None]]:
    with platform.catalog.read() as session:
        found = session.scalars(
            select(QueuedVoucher)
            .where(QueuedVoucher.listener == listener)
            .order_by(QueuedVoucher.nonce)
        )
        return [(r.nonce, r.status, r.tx_hash) for r in found]


def settled_events(platform: Platform, tx_hashes: set[str]) -> Counter[tuple[str, int]]:
    router = platform.sdk.router
    seen: Counter[tuple[str, int]] = Counter()
    for tx in tx_hashes:
        receipt = platform.chain.w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
        for e in router.events.VoucherSettled().process_receipt(receipt):
            seen[(e.args.listener, e.args.nonce)] += 1
    return seen


def queue(platform: Platform, client: TestClient, fan, song: str, nonces) -> None:
    for n in nonces:
        answer = client.post(
            "/api/vouchers", json=body(voucher_for(platform, fan, song, n)), headers=fan.headers
        )
        assert answer.status_code == 202, answer.text


def test_submitted_but_never_sent_goes_back_to_the_queue_and_settles_once(
    platform: Platform, client: TestClient, accounts, worker: SettlementWorker
) -> None:
    song = register(platform, platform.sdk.as_account(accounts["artist"]), "crash before send")
    fan = make_fan(platform, client, "crash before send")
    queue(platform, client, fan, song, range(3))
    # The worker recorded the batch's transaction hash, then died before sending it.
    with platform.catalog.write() as session:
        repo = VoucherRepository(session)
        repo.mark_submitted([r.id for r in repo.next_batch(50)], "0x" + "ee" * 32)
    assert [s for _, s, _ in rows(platform, fan.address)] == ["submitted"] * 3
    restarted = worker  # a new run: the lock is its now
    restarted.recover()
    assert [s for _, s, _ in rows(platform, fan.address)] == ["queued"] * 3
    assert restarted.step(force=True) == 3
    after = rows(platform, fan.address)
    assert [s for _, s, _ in after] == ["settled"] * 3
    assert settled_events(platform, {tx for _, _, tx in after if tx}) == Counter(
        {(fan.address, n): 1 for n in range(3)}
    )
    assert fan.sdk.balance.amount() == ONE - 3 * PRICE


def test_sent_but_unrecorded_is_recovered_from_its_receipt_and_never_charged_twice(
    platform: Platform, client: TestClient, accounts, worker: SettlementWorker
) -> None:
    song = register(platform, platform.sdk.as_account(accounts["artist"]), "crash after send")
    fan = make_fan(platform, client, "crash after send")
    queue(platform, client, fan, song, range(2))
    signed = [voucher_for(platform, fan, song, n) for n in range(2)]
    # The worker's transaction landed; it died before writing the outcome.
    receipt = platform.sdk.balance.settle(signed)
    tx_hash = receipt["transactionHash"].to_0x_hex()
    with platform.catalog.write() as session:
        repo = VoucherRepository(session)
        repo.mark_submitted([r.id for r in repo.next_batch(50)], tx_hash)
    worker.recover()
    assert rows(platform, fan.address) == [(0, "settled", tx_hash), (1, "settled", tx_hash)]
    assert worker.step(force=True) == 0
    # Even sent again (as a worker that lost track would), the router refuses a replay; the
    # indexer, reading both transactions in order, leaves them settled.
    with platform.catalog.write() as session:
        session.execute(
            QueuedVoucher.__table__.update()
            .where(QueuedVoucher.listener == fan.address)
            .values(status="queued")
        )
    skipped = platform.metrics.vouchers_skipped.labels("replayed")
    before = skipped._value.get()
    assert worker.step(force=True) == 2
    assert skipped._value.get() - before == 2
    index(platform)
    assert [s for _, s, _ in rows(platform, fan.address)] == ["settled"] * 2
    assert fan.sdk.balance.amount() == ONE - 2 * PRICE


def test_batches_by_size_and_by_age(
    platform: Platform, client: TestClient, accounts, worker: SettlementWorker
) -> None:
    song = register(platform, platform.sdk.as_account(accounts["artist"]), "size and age")
    fan = make_fan(platform, client, "size and age")
    worker.batch_size, worker.max_age = 3, 3_600
    queue(platform, client, fan, song, range(2))
    assert worker.step() == 0  # two of three, and young
    queue(platform, client, fan, song, [2])
    assert worker.step() == 3
    queue(platform, client, fan, song, [3])
    worker.max_age = 0.2
    time.sleep(0.3)
    assert worker.step() == 1
    assert {s for _, s, _ in rows(platform, fan.address)} == {"settled"}


def test_one_worker_settles_across_replicas(platform: Platform) -> None:
    first = SettlementWorker(platform, poll_interval=0.05)
    second = SettlementWorker(platform, poll_interval=0.05)
    first.start()
    assert first.leading.wait(10)
    second.start()
    time.sleep(0.5)
    assert not second.leading.is_set()
    first.close()
    assert second.leading.wait(10), "the other replica did not take over"
    second.close()


def test_two_hundred_plays_by_twenty_listeners_settle_to_direct_payment_credits(
    platform: Platform, client: TestClient, accounts
) -> None:
    artist = platform.sdk.as_account(accounts["artist"])
    producer, engineer = accounts["producer"].address, accounts["stranger"].address
    songs = [
        register(
            platform,
            artist,
            "e2e three-way",
            [Split(artist.address, 7_000, 0), Split(producer, 2_000, 1), Split(engineer, 1_000, 2)],
        ),
        register(
            platform,
            artist,
            "e2e two-way",
            [Split(producer, 5_001, 1), Split(artist.address, 4_999, 0)],
        ),
        register(platform, artist, "e2e unsplit"),
    ]
    artist.set_price(bytes.fromhex(songs[1][2:]), 3 * PRICE + 7)
    index(platform)
    prices = {s: artist.quote(bytes.fromhex(s[2:]), 0) for s in songs}
    payees = [artist.address, producer, engineer, platform.sdk.router.functions.treasury().call()]
    credits_before = {a: platform.sdk.credits(a) for a in payees}

    fans = [make_fan(platform, client, f"e2e {i}") for i in range(20)]
    plays: Counter[str] = Counter()
    worker = SettlementWorker(platform, batch_size=50, max_age=3_600, poll_interval=0.05)
    worker.start()
    try:
        for round_ in range(10):
            for i, fan in enumerate(fans):
                song = songs[(i + round_) % 3]
                signed = voucher_for(platform, fan, song, round_, amount=prices[song])
                answer = client.post("/api/vouchers", json=body(signed), headers=fan.headers)
                assert answer.status_code == 202, answer.text
                plays[song] += 1
        wait_settled(platform, timeout=120)
    finally:
        worker.close()

    with platform.catalog.read() as session:
        settled = list(
            session.scalars(
                select(QueuedVoucher).where(QueuedVoucher.listener.in_([f.address for f in fans]))
            )
        )
        statuses = Counter(r.status for r in settled)
        batches = {r.tx_hash for r in settled}
    assert statuses == Counter({"settled": 200})
    assert len(batches) == 4  # by size: 50 at a time
    assert settled_events(platform, {b for b in batches if b}) == Counter(
        {(f.address, n): 1 for f in fans for n in range(10)}
    )
    # What direct payments of the same plays credit, from the router's own rule.
    expected: Counter[str] = Counter()
    for song, count in plays.items():
        fee, shares = artist.preview_splits(bytes.fromhex(song[2:]), prices[song])
        expected[payees[3]] += fee * count
        for share in shares:
            expected[share.recipient] += share.amount * count
    assert {a: platform.sdk.credits(a) - credits_before[a] for a in payees} == {
        a: expected[a] for a in payees
    }
    assert all(
        f.sdk.balance.amount() == ONE - sum(prices[songs[(i + r) % 3]] for r in range(10))
        for i, f in enumerate(fans)
    )
    # The indexer reads the same credits from the settled vouchers' events.
    index(platform)
    for song in songs:
        for recipient in (artist.address, producer):
            got = client.get("/api/earnings", params={"song": song, "recipient": recipient}).json()[
                "total"
            ]["wei"]
            fee, shares = artist.preview_splits(bytes.fromhex(song[2:]), prices[song])
            want = sum(s.amount for s in shares if s.recipient == recipient) * plays[song]
            assert int(got) == want, (song, recipient)


def test_the_indexer_reconciles_outcomes_of_transactions_it_did_not_send(
    platform: Platform, client: TestClient, accounts
) -> None:
    """Anyone may settle vouchers: a batch sent by someone else (here the listener) still moves
    the queue, settled ones to settled, the one the spent balance no longer covers to skipped."""
    song = register(platform, platform.sdk.as_account(accounts["artist"]), "settled by another")
    fan = make_fan(platform, client, "settled by another", deposit=2 * PRICE)
    queue(platform, client, fan, song, range(2))
    # The listener spends one play's worth directly, then submits both vouchers themself.
    fan.sdk.balance.pay(bytes.fromhex(song[2:]), PRICE)
    signed = [voucher_for(platform, fan, song, n) for n in range(2)]
    fan.sdk.balance.settle(signed)
    index(platform)
    with platform.catalog.read() as session:
        repo = VoucherRepository(session)
        outcome = [(r.status, r.reason) for r in (repo.get(fan.address, n) for n in range(2)) if r]
    assert outcome == [("settled", None), ("skipped", 4)]  # 4: SkipReason.BALANCE
    assert fan.sdk.balance.amount() == 0

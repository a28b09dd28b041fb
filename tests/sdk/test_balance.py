"""The SDK's listener balance, on the embedded chain and on anvil: a deposit signed with a permit
is one transaction, `stream()` pays from the balance when it covers the play, vouchers signed here
settle through the router, and the balance comes back after the notice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from mycelix.chain.errors import InvalidInput
from mycelix.chain.units import DAY, ONE
from mycelix.chain.vouchers import SignedVoucher, SkipReason, signer
from mycelix.sdk import Mycelix
from mycelix.sdk.events import EventDecoder

from .conftest import Actors

PRICE = 10**16


@pytest.fixture
def fan(actors: Actors) -> Iterator[Mycelix]:
    """A listener of its own (the shared listener's FLOW balance is measured by other tests),
    with FLOW and an empty router balance at the start."""
    client = actors.artist.as_account(actors.chain.dev_accounts[7])
    client.faucet(10 * ONE)
    yield client
    left = client.balance.amount()
    if left:
        client.balance.request_withdrawal()
        actors.chain.advance_time(DAY)
        client.balance.withdraw()


def transactions_by(fan: Mycelix, first_block: int) -> list[dict]:
    """Receipts of every transaction `fan` sent from `first_block` on."""
    w3 = fan.w3
    found = []
    for number in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == fan.address:
                found.append(w3.eth.get_transaction_receipt(tx["hash"]))
    return found


def test_deposit_with_a_permit_is_one_transaction(actors: Actors, fan: Mycelix) -> None:
    start = fan.w3.eth.block_number + 1
    flow_before = fan.flow_balance()
    fan.balance.deposit(ONE)
    sent = transactions_by(fan, start)
    assert len(sent) == 1 and sent[0]["to"] == fan.router.address
    assert fan.balance.amount() == ONE
    assert fan.flow_balance() == flow_before - ONE
    assert fan.allowance() == 0


def test_deposit_without_a_permit_approves_first(actors: Actors, fan: Mycelix) -> None:
    start = fan.w3.eth.block_number + 1
    fan.balance.deposit(ONE, permit=False)
    assert [r["to"] for r in transactions_by(fan, start)] == [
        fan.token.address,
        fan.router.address,
    ]
    assert fan.balance.amount() == ONE


@pytest.mark.parametrize(
    ("amount", "message"),
    [(0, "greater than 0"), (10**6 * ONE, "Insufficient balance")],
)
def test_bad_deposits_are_refused_before_sending(fan: Mycelix, amount: int, message: str) -> None:
    start = fan.w3.eth.block_number + 1
    with pytest.raises(InvalidInput, match=message):
        fan.balance.deposit(amount)
    assert transactions_by(fan, start) == []


def test_stream_pays_from_the_balance_when_it_covers_the_play(actors: Actors, fan: Mycelix) -> None:
    song = actors.register("pay-per-stream-v1", "balance stream")
    fan.balance.deposit(PRICE + PRICE // 2)
    flow_before, credits_before = fan.flow_balance(), fan.credits(actors.artist.address)
    start = fan.w3.eth.block_number + 1
    fan.stream(song)
    (receipt,) = transactions_by(fan, start)
    assert receipt["to"] == fan.router.address
    assert fan.flow_balance() == flow_before
    assert fan.balance.amount() == PRICE // 2
    assert fan.credits(actors.artist.address) - credits_before == PRICE - PRICE // 100
    # The balance no longer covers a play: the next one is paid from the wallet.
    fan.stream(song)
    assert fan.balance.amount() == PRICE // 2
    assert fan.flow_balance() == flow_before - PRICE


def test_stream_from_the_wallet_when_asked(actors: Actors, fan: Mycelix) -> None:
    song = actors.register("pay-per-stream-v1", "wallet stream")
    fan.balance.deposit(ONE)
    flow_before = fan.flow_balance()
    fan.stream(song, from_balance=False)
    assert fan.balance.amount() == ONE
    assert fan.flow_balance() == flow_before - PRICE


def test_insisting_on_a_short_balance_is_refused(actors: Actors, fan: Mycelix) -> None:
    song = actors.register("pay-per-stream-v1", "short balance")
    with pytest.raises(InvalidInput, match="Insufficient router balance"):
        fan.stream(song, from_balance=True)


def test_signed_vouchers_settle_once_and_a_forged_one_is_skipped(
    actors: Actors, fan: Mycelix
) -> None:
    song = actors.register("pay-per-stream-v1", "voucher song")
    fan.balance.deposit(ONE)
    signed = [fan.balance.sign_voucher(song) for _ in range(3)]
    assert [s.voucher.nonce for s in signed] == [0, 1, 2]
    router = fan.router.address
    assert all(signer(s, fan.manifest.chain_id, router) == fan.address for s in signed)
    # A voucher in the fan's name signed by someone else.
    theirs = actors.stranger.balance.sign_voucher(song, nonce=7)
    forged = SignedVoucher(replace(theirs.voucher, listener=fan.address), theirs.signature)
    relayer = actors.owner
    credits_before = fan.credits(actors.artist.address)
    receipt = relayer.balance.settle([signed[2], forged, signed[0], signed[1], signed[0]])
    decoder = EventDecoder(fan.w3, fan.manifest)
    events = list(decoder.iterate(receipt["blockNumber"], receipt["blockNumber"]))
    settled = [e.args["nonce"] for e in events if e.name == "VoucherSettled"]
    skipped = [(e.args["nonce"], e.args["reason"]) for e in events if e.name == "VoucherSkipped"]
    assert settled == [2, 0, 1]
    assert skipped == [(7, SkipReason.SIGNATURE), (0, SkipReason.REPLAYED)]
    assert fan.balance.amount() == ONE - 3 * PRICE
    assert fan.credits(actors.artist.address) - credits_before == 3 * (PRICE - PRICE // 100)
    # A new client of the same account picks up counting where the router says.
    again = fan.as_account(fan.sender.account)
    assert again.balance.next_nonce() == 3


def test_withdrawal_after_the_notice(actors: Actors, fan: Mycelix) -> None:
    fan.balance.deposit(ONE)
    fan.balance.request_withdrawal()
    assert fan.balance.withdrawal_unlocks_at() > 0
    actors.chain.advance_time(DAY)
    flow_before = fan.flow_balance()
    assert fan.balance.withdraw() == ONE
    assert fan.flow_balance() == flow_before + ONE
    assert fan.balance.amount() == 0

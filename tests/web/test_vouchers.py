"""Listening balance and play vouchers in the browser: a listener tops up from the library
(bad amounts and a rejected signature change nothing), declines a voucher (nothing plays or is
paid), then plays a pay-per-stream song paid by a signed voucher: no transaction sent, the audio
starts at once, the header's balance drops by the price, and the settlement worker credits every
recipient their share.

Its own server: the settlement worker must settle within the test (`voucher_batch_age` 1 s;
the shared site waits the default 30 s), and an empty catalogue starts faster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_utils import keccak

from tests.support.serve import Served, serve
from tests.web.browser import audit
from tests.web.test_listener import (
    ONE,
    STREAM_PRICE,
    Account,
    analytics_totals,
    credits,
    dev_accounts,
    network,
    publish,
    wait_for,
)

ARTIST, LISTENER = 5, 6

# A browser wallet (window.ethereum) over a dev account that counts the calls it answers per
# method (`window.walletCalls`) and refuses to sign (4001) while `window.rejectSignatures`.
COUNTING_WALLET = """
(() => {
  const address = %r, chainId = %r, rpcUrl = %r;
  const post = async (path, body) => {
    const headers = {"Content-Type": "application/json"};
    return (await fetch(path, {method: "POST", headers, body: JSON.stringify(body)})).json();
  };
  const refuse = (message, code) => { const err = new Error(message); err.code = code; throw err; };
  const signing = ["eth_sendTransaction", "personal_sign", "eth_signTypedData_v4"];
  window.rejectSignatures = false;
  window.walletCalls = {};
  window.ethereum = {
    on() {}, removeListener() {},
    async request({method, params = []}) {
      window.walletCalls[method] = (window.walletCalls[method] || 0) + 1;
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
      if (method === "eth_chainId") return chainId;
      if (signing.includes(method) && window.rejectSignatures) {
        refuse("User rejected the request.", 4001);
      }
      if (method === "eth_sendTransaction") {
        const {from, to, data, value} = params[0];
        return (await post("/api/dev-wallet/send", {from, to, data, value: value || "0x0"})).hash;
      }
      if (method === "personal_sign") {
        const [message, signer] = params;
        return (await post("/api/dev-wallet/sign", {address: signer, message})).signature;
      }
      if (method === "eth_signTypedData_v4") {
        const [signer, typed] = params;
        const body = {address: signer, typed_data: JSON.parse(typed)};
        return (await post("/api/dev-wallet/sign-typed", body)).signature;
      }
      const answer = await post(rpcUrl, {jsonrpc: "2.0", id: 1, method, params});
      if (answer.error) refuse(answer.error.message, answer.error.code);
      return answer.result;
    },
  };
})();
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    env = {"MYCELIX_VOUCHER_BATCH_AGE": "1"}
    with serve(tmp_path_factory.mktemp("vouchers"), "--empty", env=env) as served:
        yield served


def account_of(site: Served, address: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{site.url}/api/vouchers/account/{address}").json()
    return answer


def calls(page: Any, method: str) -> int:
    return int(page.evaluate(f"() => window.walletCalls[{method!r}] || 0"))


def test_listener_tops_up_then_plays_by_voucher_without_a_transaction(
    page: Any, site: Served
) -> None:
    accounts = dev_accounts(site)
    artist = Account(site, accounts[ARTIST])
    tag = uuid.uuid4().hex[:6]
    song = publish(artist, "pay-per-stream-v1", f"Mycelial Voucher {tag}", 31)
    collaborators = ["0x" + keccak(text=f"voucher-web-{tag}-{r}").hex()[-40:] for r in "pe"]
    artist.act(
        "configure_splits",
        song_id=song["song_id"],
        splits=[
            {"recipient": artist.address, "bps": 5000, "role": "artist"},
            {"recipient": collaborators[0], "bps": 3000, "role": "producer"},
            {"recipient": collaborators[1], "bps": 2000, "role": "engineer"},
        ],
    )
    artist.act("set_price", song_id=song["song_id"], price=str(STREAM_PRICE))
    listener = Account(site, accounts[LISTENER])
    listener.fund(5)
    net = network(site)
    page.add_init_script(COUNTING_WALLET % (listener.address, net["chain_id_hex"], site.rpc_url))

    # Top up from the library: bad amounts and a refused signature change nothing.
    page.goto("/library")
    page.get_by_role("button", name="Connect and sign in").click()
    form = page.locator("#topup-form")
    form.wait_for()
    page.wait_for_function("() => document.getElementById('balance-available').dataset.wei === '0'")
    amount = page.get_by_label("Top-up amount (FLOW)")
    top_up = page.get_by_role("button", name="Top up")
    error = page.locator("#topup-error")
    for text, said in [("lots", "is not an amount of FLOW"), ("0", "more than 0 FLOW")]:
        amount.fill(text)
        top_up.click()
        assert said in error.inner_text()
        assert amount.get_attribute("aria-invalid") == "true"
    page.evaluate("() => { window.rejectSignatures = true; }")
    amount.fill("1")
    top_up.click()
    page.wait_for_function("() => document.getElementById('topup-error').textContent !== ''")
    assert "rejected the transaction" in error.inner_text()
    assert account_of(site, listener.address)["balance"] == "0"
    page.evaluate("() => { window.rejectSignatures = false; }")
    top_up.click()
    page.wait_for_function(
        f"() => document.getElementById('balance-available').dataset.wei === '{ONE}'",
        timeout=60_000,
    )
    assert error.inner_text() == ""
    assert account_of(site, listener.address)["available"] == str(ONE)
    page.wait_for_function(
        f"() => document.getElementById('wallet-available').dataset.wei === '{ONE}'"
    )
    assert page.locator("#wallet-available").inner_text() == "1 FLOW to play"
    audit(page, "library-topup")

    # Play by voucher: a signature, no transaction, and the audio starts.
    recipients = [artist.address, *collaborators]
    before = {r: credits(site, r) for r in recipients}
    page.goto(f"/songs/{song['song_id']}")
    play = page.get_by_role("button", name="Pay 0.02 FLOW and play")
    page.evaluate("() => { window.rejectSignatures = true; }")
    play.click()
    page.wait_for_function(
        "() => document.getElementById('player-status').textContent.includes('declined')"
    )
    assert "nothing was paid" in page.locator("#player-status").inner_text()
    assert page.evaluate("() => document.getElementById('audio').currentTime") == 0
    assert account_of(site, listener.address)["available"] == str(ONE)
    page.evaluate("() => { window.rejectSignatures = false; }")
    play.click()
    page.wait_for_function(
        "() => document.getElementById('audio').currentTime > 0.5", timeout=30_000
    )
    assert calls(page, "eth_sendTransaction") == 0
    assert calls(page, "eth_signTypedData_v4") == 2  # the declined one, then this one
    left = ONE - STREAM_PRICE
    page.wait_for_function(
        f"() => document.getElementById('wallet-available').dataset.wei === '{left}'"
    )
    assert account_of(site, listener.address)["available"] == str(left)

    # The worker settles it: each recipient's credit rises by their share of this one play.
    fee_bps = httpx.get(f"{site.url}/api/strategies").json()["protocol_fee_bps"]
    net_amount = STREAM_PRICE - STREAM_PRICE * fee_bps // 10_000
    producer, engineer = net_amount * 3000 // 10_000, net_amount * 2000 // 10_000
    expected = [net_amount - producer - engineer, producer, engineer]
    wait_for(lambda: account_of(site, listener.address)["unsettled"] == "0", "the voucher settled")
    assert [credits(site, r) - before[r] for r in recipients] == expected
    settled = account_of(site, listener.address)
    assert (settled["balance"], settled["available"]) == (str(left), str(left))
    assert calls(page, "eth_sendTransaction") == 0
    totals = wait_for(
        lambda: (t := analytics_totals(artist, song["song_id"])).get("payment") and t,
        "the payment event stored",
    )
    assert totals["payment"] == 1

"""The listener's journeys in real Chromium on the seeded demo, through the dev wallet: find a
song by search, play it and pay per stream (the three recipients' claimable balances rise by
exactly their shares of the net), tip a gift song and see CGC arrive, become a patron and open
a patron-only song a non-patron cannot play, buy an auction slot at the displayed price; bad
input and a rejected signature change nothing; the song and artist pages (and their 404s) pass
the accessibility audit.

The songs these tests pay for are published here, through the API as an artist would, so no
demo song's economy is changed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from eth_utils import keccak

from tests.support import media
from tests.support.serve import Served
from tests.web.browser import audit

ONE = 10**18
STREAM_PRICE = 2 * 10**16


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Account:
    """A dev account acting through the API as a program would: Sign-In with Ethereum, then
    transactions prepared by /api/tx and sent by the dev wallet's signer."""

    def __init__(self, site: Served, address: str) -> None:
        self.site = site
        self.address = address
        self.http = httpx.Client(base_url=site.url, timeout=60)
        self.sign_in()

    def sign_in(self) -> None:
        asked = self.http.get("/api/auth/nonce", params={"address": self.address})
        if asked.status_code == 429:  # every test signs in from loopback: wait out the limit
            time.sleep(float(asked.headers.get("Retry-After", "5")))
            asked = self.http.get("/api/auth/nonce", params={"address": self.address})
        assert asked.status_code == 200, asked.text
        answer = asked.json()
        host = self.site.url.removeprefix("http://")
        message = "\n".join(
            [
                f"{host} wants you to sign in with your Ethereum account:",
                answer["address"],
                "",
                "Sign in to Mycelix Music.",
                "",
                f"URI: {self.site.url}",
                "Version: 1",
                f"Chain ID: {network(self.site)['chain_id']}",
                f"Nonce: {answer['nonce']}",
                f"Issued At: {datetime.now(UTC).isoformat().replace('+00:00', 'Z')}",
            ]
        )
        signed = self.http.post(
            "/api/dev-wallet/sign", json={"address": self.address, "message": message}
        )
        session = self.http.post(
            "/api/auth/verify", json={"message": message, "signature": signed.json()["signature"]}
        )
        assert session.status_code == 200, session.text
        self.http.headers["Authorization"] = f"Bearer {session.json()['token']}"

    def send(self, tx: dict[str, Any]) -> dict[str, Any]:
        value = str(tx.get("value") or "0")
        body = {
            "from": self.address,
            "to": tx["to"],
            "data": tx["data"],
            "value": value if value.startswith("0x") else hex(int(value)),
        }
        sent = self.http.post("/api/dev-wallet/send", json=body)
        assert sent.status_code == 200, sent.text
        tx_hash = sent.json()["hash"]
        receipt = wait_for(
            lambda: rpc(self.site, "eth_getTransactionReceipt", [tx_hash]), f"receipt {tx_hash}"
        )
        assert int(receipt["status"], 16) == 1, receipt
        return receipt

    def act(self, action: str, **body: Any) -> dict[str, Any]:
        prepared = self.http.post(f"/api/tx/{action}", json=body)
        assert prepared.status_code == 200, prepared.text
        tx = prepared.json()
        if tx.get("amount") and int(tx["amount"]) > 0:
            check = self.http.get("/api/tx/approval", params={"amount": tx["amount"]}).json()
            if check["needs_approval"]:
                self.send(check["approve_tx"])
        return self.send(tx)

    def fund(self, flow: int) -> None:
        self.act("faucet", amount=str(flow * ONE))


def rpc(site: Served, method: str, params: list[Any]) -> Any:
    answer = httpx.post(
        site.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    ).json()
    assert "error" not in answer, answer
    return answer["result"]


def network(site: Served) -> dict[str, Any]:
    return httpx.get(f"{site.url}/api/network").json()


def view_call(site: Served, to: str, signature: str, address: str) -> int:
    data = "0x" + keccak(text=signature)[:4].hex() + address.lower()[2:].rjust(64, "0")
    return int(rpc(site, "eth_call", [{"to": to, "data": data}, "latest"]), 16)


def credits(site: Served, address: str) -> int:
    return view_call(site, network(site)["router"], "credits(address)", address)


def flow_balance(site: Served, address: str) -> int:
    return view_call(site, network(site)["token"]["address"], "balanceOf(address)", address)


def cgc_balance(site: Served, address: str) -> int:
    return view_call(site, network(site)["cgc"]["address"], "balanceOf(address)", address)


def flow_text(wei: int) -> str:
    """As the pages show amounts: at most 4 decimals, cut (not rounded), zeros dropped."""
    fraction = str(wei % ONE).rjust(18, "0")[:4].rstrip("0")
    return f"{wei // ONE}{'.' + fraction if fraction else ''} FLOW"


def dev_accounts(site: Served) -> list[str]:
    return [a["address"] for a in httpx.get(f"{site.url}/api/dev-wallet").json()["accounts"]]


# Roles in these tests: dev 5 publishes; dev 6-9 listen (the demo's artists are dev 1-4).
ARTIST, STREAM_LISTENER, TIPPER, PATRON, SLOT_BUYER = 5, 6, 7, 8, 9


@dataclass
class Published:
    artist: Account
    stream: dict[str, Any]  # pay per stream, 3-way split
    gift: dict[str, Any]
    patrons: dict[str, Any]  # patron-only
    auction: dict[str, Any]  # with a live auction
    collaborators: list[str]


def publish(artist: Account, strategy: str, title: str, seed: int) -> dict[str, Any]:
    http = artist.http
    audio = http.post(
        "/api/uploads/audio",
        content=media.audio_bytes("wav", seconds=3.0, seed=seed),
        headers={"X-Filename": "piece.wav"},
    )
    assert audio.status_code in (200, 201), audio.text
    cover = http.post("/api/uploads/cover", content=media.image_bytes("png", 256, 256, seed=seed))
    assert cover.status_code in (200, 201), cover.text
    created = http.post(
        "/api/songs",
        json={
            "title": title,
            "genre": "test",
            "audio_cid": audio.json()["cid"],
            "cover_cid": cover.json()["cid"],
            "strategy": strategy,
        },
    )
    assert created.status_code == 201, created.text
    song = created.json()["song"]
    artist.send(created.json()["register_tx"])
    wait_for(
        lambda: http.get(f"/api/songs/{song['song_id']}").json()["registered"], f"{title} indexed"
    )
    return song


@pytest.fixture(scope="module")
def published(site: Served) -> Published:
    accounts = dev_accounts(site)
    artist = Account(site, accounts[ARTIST])
    tag = uuid.uuid4().hex[:6]
    stream = publish(artist, "pay-per-stream-v1", f"Hyphal Signal {tag}", 11)
    collaborators = ["0x" + keccak(text=f"listener-test-{tag}-{r}").hex()[-40:] for r in "pe"]
    artist.act(
        "configure_splits",
        song_id=stream["song_id"],
        splits=[
            {"recipient": artist.address, "bps": 5000, "role": "artist"},
            {"recipient": collaborators[0], "bps": 3000, "role": "producer"},
            {"recipient": collaborators[1], "bps": 2000, "role": "engineer"},
        ],
    )
    artist.act("set_price", song_id=stream["song_id"], price=str(STREAM_PRICE))
    gift = publish(artist, "gift-economy-v1", f"Spore Gift {tag}", 12)
    patrons = publish(artist, "patronage-v1", f"Inner Circle {tag}", 13)
    artist.act(
        "configure_patronage",
        tiers=[
            {"name": "Seedling", "fee": str(ONE), "exclusive": False},
            {"name": "Grove", "fee": str(2 * ONE), "exclusive": True},
        ],
    )
    artist.act("set_patron_only", song_id=patrons["song_id"], patron_only=True)
    auction = publish(artist, "dutch-auction-v1", f"Last Light {tag}", 14)
    artist.act(
        "create_auction",
        song_id=auction["song_id"],
        start_price=str(2 * ONE),
        floor_price=str(2 * ONE - ONE // 100),  # falls 0.01 FLOW in 30 days: the shown
        # price (4 decimals) stays put while the test reads it and clicks
        duration=30 * 86_400,
        slots=3,
    )
    return Published(artist, stream, gift, patrons, auction, collaborators)


def as_listener(page: Any, address: str) -> None:
    """The dev wallet connected as `address` from the first page on."""
    page.add_init_script(f"localStorage.setItem('mycelix.devAccount', '{address}')")


REJECTING_WALLET = """
(() => {
  const address = %r, chainId = %r, rpcUrl = %r;
  const post = async (path, body) => {
    const headers = {"Content-Type": "application/json"};
    return (await fetch(path, {method: "POST", headers, body: JSON.stringify(body)})).json();
  };
  const refuse = (message, code) => { const err = new Error(message); err.code = code; throw err; };
  const signing = ["eth_sendTransaction", "personal_sign"];
  window.rejectSignatures = false;
  window.ethereum = {
    on() {}, removeListener() {},
    async request({method, params = []}) {
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
      const answer = await post(rpcUrl, {jsonrpc: "2.0", id: 1, method, params});
      if (answer.error) refuse(answer.error.message, answer.error.code);
      return answer.result;
    },
  };
})();
"""


def with_rejecting_wallet(page: Any, site: Served, address: str) -> None:
    """A browser wallet (window.ethereum), already connected, over the dev account that
    refuses to sign (4001) while `window.rejectSignatures` is true — as a listener pressing
    Reject would."""
    net = network(site)
    page.add_init_script(REJECTING_WALLET % (address, net["chain_id_hex"], site.rpc_url))


@contextmanager
def explained(page: Any) -> Iterator[None]:
    """A failure says what the page said (status line, field errors, player status)."""
    try:
        yield
    except Exception as exc:
        said = page.evaluate(
            "() => ['notice', 'tip-error', 'patron-error', 'auction-error', 'player-status']"
            ".map(id => `${id}: ${document.getElementById(id)?.textContent ?? '-'}`).join(' | ')"
        )
        raise AssertionError(f"{exc}\nThe page said: {said}") from exc


def analytics_totals(artist: Account, song_id: str) -> dict[str, int]:
    answer = artist.http.get("/api/analytics/summary", params={"song_id": song_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["totals"]


# ---------------------------------------------------------------------------- journeys


def test_listener_finds_a_song_plays_it_and_pays_per_stream_split_three_ways(
    page: Any, site: Served, published: Published
) -> None:
    with explained(page):
        song = published.stream
        listener = Account(site, dev_accounts(site)[STREAM_LISTENER])
        listener.fund(5)
        recipients = [published.artist.address, *published.collaborators]
        before = {r: credits(site, r) for r in recipients}
        paid_before = flow_balance(site, listener.address)

        as_listener(page, listener.address)
        page.goto("/discover")
        page.get_by_label("Search").fill(song["title"])
        page.get_by_role("button", name="Search").click()
        page.locator("#results .card-link", has_text=song["title"]).click()
        page.wait_for_url(f"**/songs/{song['song_id']}")
        assert page.locator("h1").inner_text() == song["title"]
        assert "0.02 FLOW" in page.locator("#stream-terms").inner_text()
        page.wait_for_function("() => document.querySelectorAll('#splits tbody tr').length === 3")
        assert page.locator("#splits tbody tr").count() == 3

        play = page.get_by_role("button", name="Pay 0.02 FLOW and play")
        play.click()
        page.wait_for_function(
            "() => document.getElementById('audio').currentTime > 0.5", timeout=60_000
        )
        page.wait_for_function("() => document.getElementById('audio').ended", timeout=30_000)

        # The net of the one payment, divided by the router's rule: fee first, then each share
        # but the first's rounded down, and the first recipient takes the rest.
        fee_bps = httpx.get(f"{site.url}/api/strategies").json()["protocol_fee_bps"]
        net = STREAM_PRICE - STREAM_PRICE * fee_bps // 10_000
        producer, engineer = net * 3000 // 10_000, net * 2000 // 10_000
        expected = [net - producer - engineer, producer, engineer]
        rises = [credits(site, r) - before[r] for r in recipients]
        assert rises == expected
        assert paid_before - flow_balance(site, listener.address) == STREAM_PRICE

        # One listen: one paid play recorded, one play_start and one play_end.
        plays = wait_for(
            lambda: httpx.get(
                f"{site.url}/api/plays",
                params={"song": song["song_id"], "listener": listener.address},
            ).json()["items"],
            "the play indexed",
        )
        assert len(plays) == 1
        totals = wait_for(
            lambda: (
                (t := analytics_totals(published.artist, song["song_id"])).get("play_end") and t
            ),
            "play_end stored",
        )
        assert (totals.get("play_start"), totals.get("play_end"), totals.get("payment")) == (
            1,
            1,
            1,
        )
        metrics = httpx.get(f"{site.url}/metrics").text
        assert 'mycelix_analytics_events_total{name="payment"}' in metrics
        # The song page comes from the response cache, and the new play shows on it at once.
        page.goto(f"/songs/{song['song_id']}")
        assert "1 play ·" in page.locator(".song-info .card-meta").inner_text() + " ·"


def test_tip_rejects_bad_amounts_and_a_refused_signature_then_earns_cgc(
    page: Any, site: Served, published: Published
) -> None:
    with explained(page):
        song = published.gift
        tipper = Account(site, dev_accounts(site)[TIPPER])
        tipper.fund(5)
        with_rejecting_wallet(page, site, tipper.address)
        page.goto(f"/songs/{song['song_id']}")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function(
            "() => document.getElementById('wallet').dataset.state === 'signed-in'"
        )
        balance = page.locator("#cgc-balance")
        page.wait_for_function(
            "() => document.getElementById('cgc-balance')?.dataset.wei !== undefined"
        )
        cgc_before = cgc_balance(site, tipper.address)
        assert balance.get_attribute("data-wei") == str(cgc_before)
        flow_before = flow_balance(site, tipper.address)
        credit_before = credits(site, published.artist.address)

        amount = page.get_by_label("Tip amount (FLOW)")
        send = page.get_by_role("button", name="Send tip")
        bad_amounts = [
            ("0", "more than 0 FLOW"),
            ("lots", "not an amount of FLOW"),
            ("", "not an amount"),
        ]
        for bad, message in bad_amounts:
            amount.fill(bad)
            send.click()
            assert message in page.locator("#tip-error").inner_text()
            assert amount.get_attribute("aria-invalid") == "true"

        page.evaluate("() => { window.rejectSignatures = true; }")
        amount.fill("1")
        send.click()
        page.wait_for_function("() => document.getElementById('tip-error')?.textContent.length > 0")
        assert "You rejected the transaction" in page.locator("#tip-error").inner_text()
        assert page.locator("#notice").get_attribute("data-kind") == "error"
        # Nothing changed: no FLOW left the wallet, nobody was credited, no CGC minted.
        assert flow_balance(site, tipper.address) == flow_before
        assert credits(site, published.artist.address) == credit_before
        assert cgc_balance(site, tipper.address) == cgc_before

        page.evaluate("() => { window.rejectSignatures = false; }")
        page.get_by_label("Tip amount (FLOW)").fill("1")
        page.get_by_role("button", name="Send tip").click()
        page.wait_for_function(
            "() => BigInt(document.getElementById('cgc-balance')?.dataset.wei || '0')"
            f" > {cgc_before}n",
            timeout=30_000,
        )
        assert cgc_balance(site, tipper.address) > cgc_before
        assert "tip was split" in page.locator("#notice").inner_text()
        assert flow_before - flow_balance(site, tipper.address) == ONE


def test_a_refused_payment_signature_plays_nothing_and_pays_nothing(
    page: Any, site: Served, published: Published
) -> None:
    with explained(page):
        song = published.stream
        listener = Account(site, dev_accounts(site)[TIPPER])
        listener.fund(1)
        recipients = [published.artist.address, *published.collaborators]
        before = {r: credits(site, r) for r in recipients}
        held = flow_balance(site, listener.address)
        with_rejecting_wallet(page, site, listener.address)
        page.goto(f"/songs/{song['song_id']}")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function(
            "() => document.getElementById('wallet').dataset.state === 'signed-in'"
        )
        page.evaluate("() => { window.rejectSignatures = true; }")
        page.get_by_role("button", name="Pay 0.02 FLOW and play").click()
        page.wait_for_function(
            "() => document.getElementById('player-status')?.textContent.includes('rejected')"
        )
        assert "nothing was sent" in page.locator("#player-status").inner_text()
        assert audio_state(page) == (0, True, "")
        assert flow_balance(site, listener.address) == held
        assert {r: credits(site, r) for r in recipients} == before


def audio_state(page: Any) -> tuple[float, bool, str]:
    return tuple(
        page.evaluate(
            "() => { const a = document.getElementById('audio');"
            " return [a.currentTime, a.paused, a.getAttribute('src') || '']; }"
        )
    )  # type: ignore[return-value]


def test_patron_opens_a_patron_only_song_that_a_non_patron_cannot_play(
    page: Any, site: Served, published: Published
) -> None:
    with explained(page):
        song = published.patrons
        patron = Account(site, dev_accounts(site)[PATRON])
        patron.fund(5)
        as_listener(page, patron.address)
        page.goto(f"/songs/{song['song_id']}")
        gate = page.locator("#gate")
        assert "Only patrons of the Grove tier" in gate.inner_text()

        # Not a patron yet: play explains what unlocks the song and nothing plays.
        page.get_by_role("button", name="Play (locked)").click()
        page.wait_for_function(
            "() => document.getElementById('player-status')?.textContent.includes('Grove')"
        )
        assert page.evaluate("() => document.getElementById('audio').currentTime") == 0
        status = page.evaluate(
            f"async () => (await fetch('/api/songs/{song['song_id']}/audio', "
            "{headers: {Range: 'bytes=0-1'}})).status"
        )
        assert status == 403

        page.get_by_role("button", name="Become a patron: Grove").click()
        page.wait_for_selector("#patron-standing")
        assert "Grove" in page.locator("#patron-standing").inner_text()
        assert not page.locator("#gate").count()
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_function(
            "() => document.getElementById('audio').currentTime > 0.5", timeout=30_000
        )
        # Another listener, no patron, is still refused the audio.
        outsider = Account(site, dev_accounts(site)[SLOT_BUYER])
        refused = outsider.http.get(
            f"/api/songs/{song['song_id']}/audio", headers={"Range": "bytes=0-1"}
        )
        assert refused.status_code == 403


def test_listener_buys_an_auction_slot_at_the_displayed_price(
    page: Any, site: Served, published: Published
) -> None:
    with explained(page):
        song = published.auction
        buyer = Account(site, dev_accounts(site)[SLOT_BUYER])
        buyer.fund(5)
        as_listener(page, buyer.address)
        page.goto(f"/songs/{song['song_id']}")
        page.wait_for_selector("#buy-slot")
        shown = page.locator("#auction-price").inner_text()
        assert page.locator("#auction-left").inner_text() == "3 of 3"
        assert "d " in page.locator("#auction-countdown").inner_text()
        before = flow_balance(site, buyer.address)
        page.get_by_role("button", name=f"Buy a slot for {shown}").click()
        page.wait_for_function(
            "() => document.getElementById('auction-left')?.textContent === '2 of 3'"
        )
        slots = wait_for(
            lambda: httpx.get(f"{site.url}/api/songs/{song['song_id']}/auction").json()[
                "latest_slots"
            ],
            "the slot indexed",
        )
        bought = [s for s in slots if s["buyer"] == buyer.address]
        assert len(bought) == 1
        price = int(bought[0]["price"]["wei"])
        # Paid the price shown (to its 4 decimals, the price falls by the second), never more.
        assert shown == flow_text(price)
        assert before - flow_balance(site, buyer.address) == price
        assert "You hold a slot" in page.locator("#action-auction").inner_text()


# ------------------------------------------------------------------------------- pages


def test_song_and_artist_pages_pass_accessibility_including_gated_and_not_found(
    page: Any, site: Served, published: Published
) -> None:
    gated = wait_for(
        lambda: next(
            (
                s
                for s in httpx.get(f"{site.url}/api/songs?limit=100").json()["items"]
                if s["patron_only"]
                and s["registered"]
                and s["song_id"] != published.patrons["song_id"]
            ),
            None,
        ),
        "the demo's patron-only song indexed",
    )
    page.goto(f"/songs/{published.stream['song_id']}")
    page.wait_for_function("() => !document.getElementById('economy-loading')")
    audit(page, "song")
    page.goto(f"/songs/{gated['song_id']}")
    page.wait_for_selector("#gate")
    audit(page, "song-gated")
    page.goto(f"/songs/{published.auction['song_id']}")
    page.wait_for_selector("#action-auction")
    audit(page, "song-auction")
    page.goto(f"/artists/{gated['artist']}")
    page.wait_for_selector("#artist-tiers")
    assert page.locator("#catalogue .card").count() >= 1
    audit(page, "artist")
    page.goto(f"/artists/{published.artist.address}")
    page.wait_for_selector("#artist-auctions")
    assert "Live" in page.locator("#artist-auctions").inner_text()

    missing = page.goto("/songs/0x" + "ab" * 32)
    assert missing.status == 404
    assert page.locator("h1").inner_text() == "Song not found"
    audit(page, "song-not-found")
    assert page.goto("/songs/garbage").status == 404
    assert page.goto("/artists/0x" + "cd" * 20).status == 404
    assert page.locator("h1").inner_text() == "Artist not found"
    assert page.goto("/no/such/page").status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    # Programs keep the JSON error.
    answer = httpx.get(f"{site.url}/no/such/page")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"

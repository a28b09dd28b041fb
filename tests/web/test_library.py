"""The listener library in real Chromium on the seeded demo, through the dev wallet: a listener
streams, listens to and tips a gift-economy song and becomes a patron, and the library shows
those payments, the CGC the gift song gave (the chain's balance) and the patronage. Signed out
and with nothing yet, the page says so. Every state passes the accessibility audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from web3 import HTTPProvider, Web3

from tests.support.serve import Served, serve
from tests.web.browser import audit
from tests.web.test_dashboard import ERC20, send, sign_in, wait_indexed

LISTENER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"  # dev 9: no demo history of its own
RHIZOME = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # dev 3: the demo's patronage act


def cgc_balance(site: Served, who: str) -> int:
    network = httpx.get(f"{site.url}/api/network").json()
    w3 = Web3(HTTPProvider(site.rpc_url))
    return int(
        w3.eth.contract(address=network["cgc"]["address"], abi=ERC20)
        .functions.balanceOf(who)
        .call()
    )


def cache_hits(site: Served) -> float:
    metrics = httpx.get(f"{site.url}/metrics").text
    found = re.search(
        r'^mycelix_cache_requests_total\{cache="songs",result="hit"\} (\S+)$', metrics, re.M
    )
    assert found, "the song cache's hit counter is not exported"
    return float(found.group(1))


def plays_on_card(html: str, song_id: str) -> int:
    """The play count the song's card shows on a catalogue page."""
    card = html.split(f'href="/songs/{song_id}"', 1)[1].split("</li>", 1)[0]
    found = re.search(r"(\d+) plays?\b", card)
    assert found, f"no play count on the card of {song_id}"
    return int(found.group(1))


def test_signed_out_library_says_to_connect_and_sign_in(page: Any) -> None:
    page.goto("/library")
    assert page.get_by_role("heading", name="Connect your wallet and sign in").is_visible()
    assert page.locator("#payments-table").count() == 0
    audit(page, "library-signed-out")
    # Declining to sign the sign-in message leaves the page signed out and says why.
    page.evaluate(
        """async () => {
          const { wallet } = await import('/static/js/wallet.js');
          await wallet.ready;
          const inner = wallet.provider.request.bind(wallet.provider);
          wallet.provider.request = async (args) => {
            if (args.method === 'personal_sign') {
              throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
            }
            return inner(args);
          };
        }"""
    )
    page.get_by_role("button", name="Connect and sign in").click()
    page.wait_for_function("() => document.querySelector('#notice').dataset.kind === 'error'")
    assert "declined to sign in" in page.locator("#notice").inner_text()
    assert page.get_by_role("button", name="Connect and sign in").is_enabled()
    assert page.evaluate("async () => (await fetch('/api/auth/me')).status") == 401


@pytest.fixture(scope="module")
def empty_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A node started with `--empty`: no demo, so every account really has nothing yet (on the
    shared seeded site the other journeys use every dev account)."""
    with serve(tmp_path_factory.mktemp("empty"), "--empty") as served:
        yield served


@pytest.fixture
def empty_page(browser: Any, empty_site: Served) -> Iterator[Any]:
    context = browser.new_context(base_url=empty_site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_library_of_a_new_listener_shows_empty_states(empty_page: Any) -> None:
    page = empty_page
    page.goto("/")
    assert page.locator(".empty").count() == 2  # no new and no popular songs yet
    audit(page, "home-empty")
    sign_in(page, "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955")  # dev 7
    page.goto("/library")
    for heading in ("Payments", "Patronages", "Auction slots", "Listening history"):
        section = page.locator("section", has=page.get_by_role("heading", name=heading))
        assert section.locator(".empty").is_visible(), heading
    assert page.locator("#cgc").inner_text() == "0 CGC"
    audit(page, "library-empty")


def test_library_shows_the_listeners_payments_cgc_and_patronages(page: Any, site: Served) -> None:
    songs = httpx.get(f"{site.url}/api/songs", params={"limit": 100}).json()["items"]
    strategies = {s["strategy"] for s in songs}
    priced = next(s for s in songs if s["stream_price"] and not s["patron_only"])
    gift = next(
        s
        for s in songs
        if httpx.get(f"{site.url}/api/songs/{s['song_id']}/economy").json().get("gift")
    )
    patronage = next(s for s in songs if s["artist"] == RHIZOME and not s["patron_only"])
    assert len(strategies) >= 3
    before = len(wait_indexed(site, f"/api/payments?payer={LISTENER}&limit=200", 0))
    # The catalogue pages come from the response cache (the same HTML for every visitor)...
    discover = httpx.URL(f"{site.url}/discover", params={"q": priced["title"]})
    shown = plays_on_card(httpx.get(discover).text, priced["song_id"])
    hits = cache_hits(site)
    assert plays_on_card(httpx.get(discover).text, priced["song_id"]) == shown
    assert cache_hits(site) == hits + 1

    sign_in(page, LISTENER)
    send(page, "faucet", {"amount": str(20 * 10**18)})
    send(page, "stream", {"song_id": priced["song_id"]})
    send(page, "stream", {"song_id": gift["song_id"]})  # a free listen: the gift song pays CGC
    send(page, "tip", {"song_id": gift["song_id"], "amount": str(10**17)})
    send(page, "become_patron", {"song_id": patronage["song_id"], "tier": 0})
    paid = wait_indexed(site, f"/api/payments?payer={LISTENER}&limit=200", before + 4)
    assert len(paid) == before + 4
    # ...and a new play shows on them at once: a catalogue write invalidates the cache.
    plays_now = httpx.get(f"{site.url}/api/songs/{priced['song_id']}").json()["play_count"]
    assert plays_now > shown
    assert plays_on_card(httpx.get(discover).text, priced["song_id"]) == plays_now

    page.goto("/library")
    assert page.locator("[data-viewer]").get_attribute("data-viewer") == LISTENER
    # Payments: the same rows as the API's history, newest first, amounts exact.
    rows = page.locator("#payments-table tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.tx, r.dataset.song, r.dataset.wei])"
    )
    assert rows == [[p["tx_hash"], p["song_id"], p["amount"]["wei"]] for p in paid]
    kinds = page.locator("#payments-table tbody tr td:nth-child(2)").all_inner_texts()
    assert {"Stream", "Tip", "Patronage"} <= set(kinds)
    assert priced["title"] in page.locator("#payments-table").inner_text()
    # CGC: what the chain holds for the listener, earned from the gift song.
    cgc = cgc_balance(site, LISTENER)
    assert cgc > 0
    assert int(page.locator("#cgc").get_attribute("data-wei")) == cgc
    # The patronage, active, with the artist's tier.
    patronage_row = page.locator(f"#patronages-table tr[data-artist='{RHIZOME}']")
    assert patronage_row.count() == 1
    assert "Active" in patronage_row.inner_text()
    # Listening history names the songs played.
    assert page.locator(f"#history li[data-song='{priced['song_id']}']").count() >= 1
    audit(page, "library")

    # The artist sees the new patron on the dashboard.
    sign_in(page, RHIZOME)
    page.goto("/dashboard")
    patron_row = page.locator(f"#patrons-table tr[data-patron='{LISTENER}']")
    assert "Active" in patron_row.inner_text()


def test_library_lists_a_bought_auction_slot(page: Any, site: Served) -> None:
    collector = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"  # dev 8
    songs = httpx.get(f"{site.url}/api/songs", params={"limit": 100}).json()["items"]
    song = next(
        s
        for s in songs
        if httpx.get(f"{site.url}/api/songs/{s['song_id']}/economy").json().get("auction")
    )
    auction_url = f"{site.url}/api/songs/{song['song_id']}/auction"
    state = httpx.get(auction_url).json()["chain"]["auction"]
    if not (state and state["live"] and state["sold"] < state["slots"]):
        # The demo's auction sold out: its artist opens another one from the dashboard's wallet.
        sign_in(page, song["artist"])
        send(
            page,
            "create_auction",
            {
                "song_id": song["song_id"],
                "start_price": str(2 * 10**18),
                "floor_price": str(10**18),
                "duration": 7 * 24 * 3600,
                "slots": 3,
            },
        )
        state = httpx.get(auction_url).json()["chain"]["auction"]
    sign_in(page, collector)
    send(page, "faucet", {"amount": str(5 * 10**18)})
    send(
        page,
        "buy_slot",
        {
            "song_id": song["song_id"],
            "max_price": state["current_price"]["wei"],
            "auction_number": state["number"],
        },
    )
    bought: list[dict[str, Any]] = []
    for _ in range(120):
        slots = httpx.get(auction_url).json()["latest_slots"]
        bought = [s for s in slots if s["buyer"] == collector]
        if bought:
            break
        page.wait_for_timeout(250)
    assert bought, "the indexer did not record the slot"

    page.goto("/library")
    row = page.locator(f"#slots-table tr[data-song='{song['song_id']}']")
    assert row.count() == 1
    assert song["title"] in row.inner_text()
    assert int(row.get_attribute("data-wei")) == int(bought[0]["price"]["wei"])
    assert page.locator("#payments-table tbody tr td:nth-child(2)").first.inner_text() == "Access"

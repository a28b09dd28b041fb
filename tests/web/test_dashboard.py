"""The artist dashboard in real Chromium on the seeded demo, through the dev wallet: its charts
show the same plays and earnings as the JSON API, a listener's payment shows up in them, and
the artist withdraws — the wallet's FLOW rises by exactly the claimable amount shown. Signed
out, the page says how to connect and sign in. Every state passes the accessibility audit."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from web3 import HTTPProvider, Web3

from tests.support.serve import Served
from tests.web.browser import audit

# Dev accounts (the public dev mnemonic): the demo's artists of record are 1-4.
FRUITING_BODY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # dev 4: auction + pay per stream
LISTENER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # dev 5: no demo history of its own
ERC20 = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "who", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]
ROUTER = [
    {
        "name": "credits",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "who", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


# ------------------------------------------------------------------ helpers (library uses them)


def sign_in(page: Any, address: str) -> None:
    """Connect the dev wallet, switch to `address` and sign in with Ethereum from the header."""
    page.goto("/")
    connected = page.evaluate(
        """async () => {
          const { wallet } = await import('/static/js/wallet.js');
          await wallet.ready;
          return Boolean(wallet.address);
        }"""
    )
    if not connected:
        page.get_by_role("button", name="Connect wallet").click()
    page.locator("#wallet-who").wait_for(state="visible")
    page.get_by_label("Dev account").select_option(address)
    page.wait_for_function(
        "(a) => document.querySelector('#wallet-who').textContent.startsWith(a)", arg=address[:6]
    )
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function("() => document.querySelector('#wallet').dataset.state === 'signed-in'")


def send(page: Any, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """Prepare `/api/tx/<action>` and send it with the page's own wallet module (approvals
    first), as the page's buttons do. Returns the prepared tx's amount and the receipt status."""
    result: dict[str, Any] = page.evaluate(
        """async ([action, body]) => {
          const { wallet } = await import('/static/js/wallet.js');
          const { api } = await import('/static/js/api.js');
          const tx = await api(`/api/tx/${action}`, { method: 'POST', body });
          const receipt = await wallet.sendPrepared(tx);
          return { amount: tx.amount || null, status: parseInt(receipt.status, 16) };
        }""",
        [action, body],
    )
    assert result["status"] == 1, f"{action} failed on chain"
    return result


def wait_indexed(site: Served, path: str, count: int, timeout_s: float = 30) -> list[Any]:
    """Poll a cursor-paged listing until it holds `count` items (the indexer follows blocks)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        items = httpx.get(f"{site.url}{path}").json()["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.25)


def chain(site: Served) -> tuple[Web3, dict[str, Any]]:
    network = httpx.get(f"{site.url}/api/network").json()
    return Web3(HTTPProvider(site.rpc_url)), network


def flow_balance(site: Served, who: str) -> int:
    w3, network = chain(site)
    token = w3.eth.contract(address=network["token"]["address"], abi=ERC20)
    return int(token.functions.balanceOf(who).call())


def claimable(site: Served, who: str) -> int:
    w3, network = chain(site)
    router = w3.eth.contract(address=network["router"], abi=ROUTER)
    return int(router.functions.credits(who).call())


def table(page: Any, chart_id: str) -> dict[str, int]:
    """A chart's data-table alternative as {key: exact value}."""
    rows = page.locator(f"#{chart_id} tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.key, r.dataset.value])"
    )
    return {key: int(value) for key, value in rows}


def bars(page: Any, chart_id: str) -> dict[str, int]:
    """The bars drawn in a chart's SVG as {key: value}: what the picture shows."""
    rows = page.locator(f"#{chart_id}-svg rect.chart-bar").evaluate_all(
        "rects => rects.map(r => [r.dataset.key, r.dataset.value])"
    )
    return {key: int(value) for key, value in rows}


def api_plays_by_day(site: Served, artist: str) -> Counter[str]:
    songs = httpx.get(f"{site.url}/api/songs", params={"limit": 100}).json()["items"]
    per_day: Counter[str] = Counter()
    for song in (s for s in songs if s["artist"] == artist):
        cursor = None
        while True:
            params = {"song": song["song_id"], "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = httpx.get(f"{site.url}/api/plays", params=params).json()
            per_day.update(p["played_at"][:10] for p in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    return per_day


def api_earnings(site: Served, artist: str, group: str) -> dict[str, int]:
    answer = httpx.get(
        f"{site.url}/api/earnings", params={"recipient": artist, "group": group}
    ).json()
    return {row["key"]: int(row["amount"]["wei"]) for row in answer["rows"]}


def without_zeros(values: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in values.items() if v}


# ------------------------------------------------------------------------------------ tests


def test_signed_out_dashboard_says_to_connect_and_sign_in(page: Any) -> None:
    page.goto("/dashboard")
    assert page.get_by_role("heading", name="Connect your wallet and sign in").is_visible()
    assert page.locator("#withdraw").count() == 0
    audit(page, "dashboard-signed-out")
    # Its button connects and signs in, then the same page shows the viewer's dashboard.
    page.get_by_role("button", name="Connect and sign in").click()
    page.wait_for_selector("[data-viewer^='0x']")
    assert page.get_by_role("heading", name="Withdraw").is_visible()


def test_dashboard_charts_equal_the_api_then_the_artist_withdraws_to_the_wallet(
    page: Any, site: Served
) -> None:
    # A listener streams one of the artist's songs, so the artist has fresh earnings to claim.
    songs = httpx.get(f"{site.url}/api/songs", params={"limit": 100}).json()["items"]
    priced = next(s for s in songs if s["artist"] == FRUITING_BODY and s["stream_price"])
    before = len(wait_indexed(site, f"/api/payments?payer={LISTENER}&limit=200", 0))
    sign_in(page, LISTENER)
    send(page, "faucet", {"amount": str(5 * 10**18)})
    send(page, "stream", {"song_id": priced["song_id"]})
    wait_indexed(site, f"/api/payments?payer={LISTENER}&limit=200", before + 1)

    sign_in(page, FRUITING_BODY)
    page.goto("/dashboard")
    assert page.locator("[data-viewer]").get_attribute("data-viewer") == FRUITING_BODY

    # Plays and earnings over time: the picture, its data table and the API agree.
    plays = table(page, "plays-by-day")
    assert bars(page, "plays-by-day") == plays
    assert without_zeros(plays) == dict(api_plays_by_day(site, FRUITING_BODY))
    assert sum(plays.values()) == int(page.locator("#plays-total").inner_text())
    earned = table(page, "earnings-by-day")
    assert bars(page, "earnings-by-day") == earned
    assert without_zeros(earned) == api_earnings(site, FRUITING_BODY, "day")
    # Per song and per strategy, as the earnings report groups them.
    assert table(page, "earnings-by-song") == api_earnings(site, FRUITING_BODY, "song")
    assert table(page, "earnings-by-strategy") == api_earnings(site, FRUITING_BODY, "strategy")
    assert priced["song_id"] in table(page, "earnings-by-song")
    listed = httpx.get(f"{site.url}/api/songs", params={"limit": 100}).json()["items"]
    mine = [s for s in listed if s["artist"] == FRUITING_BODY]
    assert without_zeros(table(page, "plays-by-song")) == without_zeros(
        {s["song_id"]: s["play_count"] for s in mine}
    )
    per_strategy: Counter[str] = Counter()
    for s in mine:
        per_strategy[s["strategy"]] += s["play_count"]
    assert without_zeros(table(page, "plays-by-strategy")) == without_zeros(dict(per_strategy))
    # The artist's auction's results are listed.
    assert page.locator("#auctions-table tbody tr").count() >= 1
    audit(page, "dashboard")

    # Withdraw: the wallet's FLOW rises by exactly the claimable amount the page showed.
    shown = int(page.locator("#claimable").get_attribute("data-wei"))
    assert shown == claimable(site, FRUITING_BODY) > 0
    wallet_before = flow_balance(site, FRUITING_BODY)
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_function("() => document.querySelector('#notice').dataset.kind === 'success'")
    assert "Withdrew" in page.locator("#notice").inner_text()
    assert flow_balance(site, FRUITING_BODY) - wallet_before == shown
    # The withdrawal is a product event, counted in /metrics.
    page.wait_for_timeout(300)
    assert (
        'mycelix_analytics_events_total{name="withdraw"}' in httpx.get(f"{site.url}/metrics").text
    )
    assert claimable(site, FRUITING_BODY) == 0
    assert page.locator("#claimable").inner_text() == "0 FLOW"
    # After a reload the page says there is nothing left to withdraw.
    page.reload()
    assert page.locator("#withdraw-empty").is_visible()


def test_a_rejected_withdrawal_changes_nothing_and_says_so(page: Any, site: Served) -> None:
    artist = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # dev 1: The Hyphae
    owed = claimable(site, artist)
    if owed == 0:  # another test withdrew: give the artist something to claim
        songs = httpx.get(f"{site.url}/api/songs", params={"limit": 100}).json()["items"]
        sign_in(page, LISTENER)
        send(page, "faucet", {"amount": str(5 * 10**18)})
        send(
            page, "stream", {"song_id": next(s for s in songs if s["artist"] == artist)["song_id"]}
        )
        owed = claimable(site, artist)
    sign_in(page, artist)
    page.goto("/dashboard")
    # The wallet refuses to send (what a person's "Reject" in their wallet answers).
    page.evaluate(
        """async () => {
          const { wallet } = await import('/static/js/wallet.js');
          await wallet.ready;
          const inner = wallet.provider.request.bind(wallet.provider);
          wallet.provider.request = async (args) => {
            if (args.method === 'eth_sendTransaction') {
              throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
            }
            return inner(args);
          };
        }"""
    )
    balance = flow_balance(site, artist)
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_function("() => document.querySelector('#notice').dataset.kind === 'error'")
    assert "rejected the transaction" in page.locator("#notice").inner_text()
    assert page.get_by_role("button", name="Withdraw").is_enabled()
    assert claimable(site, artist) == owed
    assert flow_balance(site, artist) == balance


def test_dashboard_of_an_account_without_songs_shows_empty_states(page: Any) -> None:
    sign_in(page, "0x976EA74026E726554dB657fA54763abd0C3a0aa9")  # dev 6: no songs, no income
    page.goto("/dashboard")
    assert "no songs yet" in page.locator("#songs-heading + .empty").inner_text()
    assert page.locator("#plays-by-day .empty").is_visible()
    assert page.locator("#withdraw").count() == 0
    audit(page, "dashboard-empty")

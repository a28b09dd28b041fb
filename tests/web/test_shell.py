"""The shell every page shares: the home and discover pages on the seeded demo catalogue, and
the header's dev wallet — connect, switch account, sign in with Ethereum — in real Chromium."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.serve import Served
from tests.web.browser import audit


def test_home_shows_new_and_popular_songs_and_passes_accessibility(page: Any) -> None:
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Music that pays")
    shelves = page.locator("section.shelf")
    assert shelves.count() == 2
    assert page.locator("section.shelf").nth(0).locator("li.card").count() >= 4
    audit(page, "home")


def test_discover_finds_a_song_by_search_and_filters_by_strategy(page: Any, site: Served) -> None:
    songs = httpx.get(f"{site.url}/api/songs?limit=100").json()["items"]
    target = songs[0]
    page.goto("/discover")
    audit(page, "discover")
    page.get_by_label("Search").fill(target["title"])
    page.get_by_role("button", name="Search").click()
    titles = page.locator("#results .card-title").all_inner_texts()
    assert target["title"] in titles
    page.get_by_label("Strategy").select_option(target["strategy"])
    page.get_by_role("button", name="Search").click()
    badges = page.locator("#results .badge[data-strategy]").evaluate_all(
        "els => els.map(e => e.dataset.strategy)"
    )
    assert badges and set(badges) == {target["strategy"]}


def test_discover_with_nothing_found_says_so(page: Any) -> None:
    page.goto("/discover?q=no-such-song-anywhere")
    assert "No songs match" in page.locator(".empty").inner_text()
    page.goto("/discover?cursor=garbage")
    assert "expired" in page.get_by_role("alert").inner_text()


def test_dev_wallet_connects_switches_account_and_signs_in(page: Any, site: Served) -> None:
    page.goto("/")
    page.get_by_role("button", name="Connect wallet").click()
    who = page.locator("#wallet-who")
    who.wait_for(state="visible")
    assert who.inner_text().startswith("0xf39F")
    page.wait_for_function("() => document.querySelector('#wallet-balance').textContent")
    assert "FLOW" in page.locator("#wallet-balance").inner_text()
    page.get_by_label("Dev account").select_option(index=2)
    page.wait_for_function(
        "() => document.querySelector('#wallet-who').textContent.startsWith('0x3C44')"
    )
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function("() => document.querySelector('#wallet').dataset.state === 'signed-in'")
    me = page.evaluate("async () => (await fetch('/api/auth/me')).json()")
    assert me["address"] == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
    # Switching account ends the old account's session: nobody acts under the wrong name.
    page.get_by_label("Dev account").select_option(index=1)
    page.wait_for_function("() => document.querySelector('#wallet').dataset.state === 'connected'")
    status = page.evaluate("async () => (await fetch('/api/auth/me')).status")
    assert status == 401

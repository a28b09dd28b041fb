"""Bad input in every form of the upload page, in real Chromium: missing fields, a file that is
not audio, a price below the floor, splits that do not add up to 100 %, a signature the wallet
rejects. Each shows a clear message in the page and changes nothing: no song is registered,
and the artist's catalogue is as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.serve import Served
from tests.web.browser import audit
from tests.web.test_upload import (
    ARTIST_INDEX,
    FEATURED_INDEX,
    advance,
    dev_accounts,
    eventually,
    fill_terms,
    indexed,
    media_files,
    sign_in_as,
    upload_files,
)

# The dev wallet's request, made to refuse like a person pressing "Reject" in a wallet.
REJECT = """async (method) => {
  const { DevWalletProvider } = await import('/static/js/devwallet.js');
  const proto = DevWalletProvider.prototype;
  proto.originalRequest ||= proto.request;
  proto.request = async function (args) {
    if (args.method === method) {
      throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
    }
    return this.originalRequest(args);
  };
}"""
ACCEPT = """async () => {
  const { DevWalletProvider } = await import('/static/js/devwallet.js');
  const proto = DevWalletProvider.prototype;
  if (proto.originalRequest) proto.request = proto.originalRequest;
}"""


def alert_text(page: Any, step: str) -> str:
    box = page.locator(f"#{step}-error")
    box.wait_for(state="visible")
    return str(box.inner_text())


def artist_songs(site: Served, artist: str) -> list[dict[str, Any]]:
    found = httpx.get(f"{site.url}/api/songs", params={"artist": artist, "limit": 100})
    return list(found.json()["items"])


def strategy_with(site: Served, predicate: Any) -> dict[str, Any]:
    catalogue = httpx.get(f"{site.url}/api/strategies").json()["strategies"]
    return next(s for s in catalogue if s["enabled"] and predicate(s))


def has_field(name: str) -> Any:
    return lambda s: any(f["name"] == name for f in s["config"])


def open_terms(page: Any, tmp_path: Path, seed: int, strategy: dict[str, Any]) -> None:
    """A fresh upload page at the terms of `strategy` (audio only: uploads are rate-limited
    per client, and every test here is the same client)."""
    page.goto("/upload")
    audio, _ = media_files(tmp_path, seed)
    upload_files(page, audio, None, f"Form test {seed}", "ambient")
    advance(page, "Next: strategy", "strategy")
    page.locator("#strategy-list").get_by_label(strategy["title"]).check()
    advance(page, "Next: terms", "terms")


def test_missing_fields_are_named_and_nothing_is_created(
    page: Any, site: Served, tmp_path: Path
) -> None:
    artist = dev_accounts(site)[ARTIST_INDEX]
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    before = artist_songs(site, artist)
    page.get_by_role("button", name="Next: strategy").click()
    assert "Choose an audio file" in alert_text(page, "files")
    assert page.get_by_label("Audio file").get_attribute("aria-invalid") == "true"
    audio, _ = media_files(tmp_path, 201)
    page.get_by_label("Audio file").set_input_files(str(audio))
    page.wait_for_function(
        "() => document.querySelector('#audio-status').textContent.startsWith('Uploaded')"
    )
    page.get_by_role("button", name="Next: strategy").click()
    assert "Give the song a title" in alert_text(page, "files")
    audit(page, "upload-files-error")
    page.get_by_label("Title").fill("   ")
    page.get_by_role("button", name="Next: strategy").click()
    assert "Give the song a title" in alert_text(page, "files")
    page.get_by_label("Title").fill("Named at last")
    advance(page, "Next: strategy", "strategy")
    page.get_by_role("button", name="Next: terms").click()
    assert "Choose a preset or a strategy" in alert_text(page, "strategy")
    # A tier without a name or fee: the catalogue's array-of-objects field needs both.
    tiered = strategy_with(site, lambda s: any(f.get("items") for f in s["config"]))
    page.locator("#strategy-list").get_by_label(tiered["title"]).check()
    advance(page, "Next: terms", "terms")
    # (Empty for a new artist; filled with their tiers for one who has some: empty them.)
    page.locator('[data-path="tiers.0.name"]').fill("")
    page.get_by_role("button", name="Next: splits").click()
    assert "Tier 1: name is required." in alert_text(page, "terms")
    audit(page, "upload-terms-error")
    assert artist_songs(site, artist) == before


def test_a_file_that_is_not_audio_is_refused_with_the_reason(
    page: Any, site: Served, tmp_path: Path
) -> None:
    artist = dev_accounts(site)[ARTIST_INDEX]
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    before = artist_songs(site, artist)
    fake = tmp_path / "definitely-a-song.mp3"
    fake.write_text("these are liner notes, not music\n" * 50)
    page.get_by_label("Audio file").set_input_files(str(fake))
    status = page.locator("#audio-status.error")
    status.wait_for()
    assert "not audio" in status.inner_text()
    page.get_by_label("Title").fill("Not a song")
    page.get_by_role("button", name="Next: strategy").click()
    assert "The audio did not upload" in alert_text(page, "files")
    # A picture is a fine cover and no audio; audio is no cover.
    audio, cover = media_files(tmp_path, 202)
    page.get_by_label("Cover image").set_input_files(str(audio))
    page.locator("#cover-status.error").wait_for()
    assert page.locator("#cover-preview").is_hidden()
    # Too big or empty: refused before a byte is sent.
    huge = tmp_path / "huge-cover.png"
    huge.write_bytes(b"\x89PNG" + bytes(11 * 1024 * 1024))
    page.get_by_label("Cover image").set_input_files(str(huge))
    page.wait_for_function(
        "() => document.querySelector('#cover-status').textContent.includes('the limit is 10 MB')"
    )
    empty = tmp_path / "silence.wav"
    empty.write_bytes(b"")
    page.get_by_label("Audio file").set_input_files(str(empty))
    page.wait_for_function(
        "() => document.querySelector('#audio-status').textContent.includes('is empty')"
    )
    page.get_by_label("Audio file").set_input_files(str(cover))
    page.wait_for_function(
        "() => document.querySelector('#audio-status').textContent.includes('not audio')"
    )
    assert artist_songs(site, artist) == before


def test_a_price_below_the_floor_is_refused(page: Any, site: Served, tmp_path: Path) -> None:
    artist = dev_accounts(site)[ARTIST_INDEX]
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    before = artist_songs(site, artist)
    priced = strategy_with(site, has_field("price"))
    open_terms(page, tmp_path, 203, priced)
    price = page.get_by_label("Price (FLOW)")
    for typed, message in (
        ("0", "Price must be above 0 FLOW."),
        ("-1", "is not an amount of FLOW"),
        ("0.0000000000000000001", "is not an amount of FLOW"),
        ("", "Price is required."),
    ):
        price.fill(typed)
        page.get_by_role("button", name="Next: splits").click()
        assert message in alert_text(page, "terms")
        assert price.get_attribute("aria-invalid") == "true"
        assert page.locator("#step-terms").is_visible()
    # An auction's start price must be above its floor (a rule across two fields).
    auction = strategy_with(site, has_field("floor_price"))
    page.locator("#step-terms").get_by_role("button", name="Back").click()
    page.locator("#strategy-list").get_by_label(auction["title"]).check()
    advance(page, "Next: terms", "terms")
    fill_terms(page)
    page.get_by_label("Start price (FLOW)").fill("0.5")
    page.get_by_label("Floor price (FLOW)").fill("0.5")
    page.get_by_role("button", name="Next: splits").click()
    assert "Start price must be above the floor price" in alert_text(page, "terms")
    assert artist_songs(site, artist) == before


def test_splits_that_do_not_add_up_to_100_percent_are_refused(
    page: Any, site: Served, tmp_path: Path
) -> None:
    accounts = dev_accounts(site)
    artist = accounts[ARTIST_INDEX]
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    before = artist_songs(site, artist)
    open_terms(page, tmp_path, 205, strategy_with(site, has_field("price")))
    advance(page, "Next: splits", "splits")
    assert page.get_by_label("Recipient 1 address").input_value() == artist
    page.get_by_label("Recipient 1 share (%)").fill("60")
    page.get_by_role("button", name="Add recipient").click()
    page.get_by_label("Recipient 2 address").fill(accounts[FEATURED_INDEX])
    page.get_by_label("Recipient 2 share (%)").fill("30")
    assert "90 %" in page.locator("#split-total").inner_text()
    page.get_by_role("button", name="Next: earnings").click()
    assert "add up to 90 %: they must add up to exactly 100 %" in alert_text(page, "splits")
    audit(page, "upload-splits-error")
    page.get_by_label("Recipient 2 share (%)").fill("50")
    page.get_by_role("button", name="Next: earnings").click()
    assert "add up to 110 %" in alert_text(page, "splits")
    page.get_by_label("Recipient 2 share (%)").fill("40")
    page.get_by_label("Recipient 2 address").fill("0x1234")
    page.get_by_role("button", name="Next: earnings").click()
    assert "Recipient 2: enter a wallet address" in alert_text(page, "splits")
    page.get_by_label("Recipient 2 address").fill(artist)
    page.get_by_role("button", name="Next: earnings").click()
    assert "Recipient 2 is listed twice" in alert_text(page, "splits")
    page.get_by_label("Recipient 2 address").fill("0x" + "0" * 40)
    page.get_by_role("button", name="Next: earnings").click()
    assert "Recipient 2: the zero address belongs to nobody" in alert_text(page, "splits")
    page.get_by_label("Recipient 2 address").fill(accounts[FEATURED_INDEX])
    page.get_by_label("Recipient 2 share (%)").fill("39.999")
    page.get_by_role("button", name="Next: earnings").click()
    assert "at most two decimals" in alert_text(page, "splits")
    # Removing a row leaves the rest; one recipient at 60 % is still not 100 %.
    page.get_by_role("button", name="Remove recipient 2").click()
    page.get_by_role("button", name="Next: earnings").click()
    assert "add up to 60 %" in alert_text(page, "splits")
    page.get_by_label("Recipient 1 share (%)").fill("100")
    advance(page, "Next: earnings", "earnings")
    # What was typed survives going back to the terms and forward again.
    page.locator("#step-earnings").get_by_role("button", name="Back").click()
    page.locator("#step-splits").get_by_role("button", name="Back").click()
    advance(page, "Next: splits", "splits")
    assert page.locator("#split-rows tr").count() == 1
    assert page.get_by_label("Recipient 1 share (%)").input_value() == "100"
    advance(page, "Next: earnings", "earnings")
    # The calculator's own inputs: a negative audience is no audience.
    page.get_by_label("Expected plays a month").fill("-5")
    page.get_by_role("button", name="Next: review and register").click()
    assert "Expected plays a month: “-5” is not a whole number." in alert_text(page, "earnings")
    page.get_by_label("Average tip (FLOW)").fill("a lot")
    page.get_by_label("Expected plays a month").fill("500")
    page.get_by_role("button", name="Next: review and register").click()
    assert "Average tip: “a lot” is not an amount of FLOW" in alert_text(page, "earnings")
    assert page.locator("#step-earnings").is_visible()
    assert artist_songs(site, artist) == before


def test_a_rejected_signature_changes_nothing_and_a_retry_registers(
    page: Any, site: Served, tmp_path: Path
) -> None:
    artist = dev_accounts(site)[ARTIST_INDEX]
    page.goto("/upload")
    page.get_by_role("button", name="Connect wallet").click()
    page.get_by_label("Dev account").select_option(index=ARTIST_INDEX)
    page.wait_for_function("() => document.querySelector('#wallet').dataset.state === 'connected'")
    # Declining to sign in: nothing is uploaded.
    page.evaluate(REJECT, "personal_sign")
    audio, cover = media_files(tmp_path, 206)
    page.get_by_label("Audio file").set_input_files(str(audio))
    status = page.locator("#audio-status.error")
    status.wait_for()
    assert "You declined to sign in: nothing was changed." in status.inner_text()
    assert page.locator("#wallet").get_attribute("data-state") == "connected"
    page.evaluate(ACCEPT)
    before = artist_songs(site, artist)
    page.get_by_label("Audio file").set_input_files([])
    title = "Signed only the second time"
    priced = strategy_with(site, has_field("price"))

    def to_register(title: str) -> None:
        upload_files(page, audio, cover, title, "folk")
        advance(page, "Next: strategy", "strategy")
        page.locator("#strategy-list").get_by_label(priced["title"]).check()
        advance(page, "Next: terms", "terms")
        advance(page, "Next: splits", "splits")
        advance(page, "Next: earnings", "earnings")
        advance(page, "Next: review and register", "register")

    to_register(title)
    # Rejecting the registration, twice: nothing reaches the chain.
    page.evaluate(REJECT, "eth_sendTransaction")
    for _ in range(2):
        page.get_by_role("button", name="Register on chain").click()
        message = alert_text(page, "register")
        assert "You rejected the transaction: nothing was sent." in message
        assert "The song is not registered: press Register on chain to try again." in message
        assert page.locator("#tx-list li[data-status=failed]").count() == 1
    # The catalogue is as it was: the description made for the registration is withdrawn.
    assert artist_songs(site, artist) == before
    assert not [s for s in artist_songs(site, artist) if s["title"] == title]
    audit(page, "upload-register-rejected")
    # The artist comes back later (a fresh page), renames it and signs: the song is registered
    # under the new title.
    page.evaluate(ACCEPT)
    page.reload()
    renamed = "Signed the second time, renamed"
    to_register(renamed)
    advance(page, "Register on chain", "done", timeout=90_000)
    song_id = (
        page.get_by_role("link", name="Open the song page").get_attribute("href").rsplit("/", 1)[1]
    )
    eventually(lambda: indexed(site, song_id, splits=1))
    song = httpx.get(f"{site.url}/api/songs/{song_id}").json()
    assert song["registered"] and song["strategy"] == priced["name"] and song["title"] == renamed
    assert not [s for s in artist_songs(site, artist) if s["title"] == title]


# Lets the first `allowed` transactions through, then refuses the rest like a person would.
REJECT_AFTER = """async (allowed) => {
  const { DevWalletProvider } = await import('/static/js/devwallet.js');
  const proto = DevWalletProvider.prototype;
  proto.originalRequest ||= proto.request;
  let sent = 0;
  proto.request = async function (args) {
    if (args.method === 'eth_sendTransaction' && ++sent > allowed) {
      throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
    }
    return this.originalRequest(args);
  };
}"""


def test_a_rejected_configuration_keeps_the_registration_and_finishes_later(
    page: Any, site: Served, tmp_path: Path
) -> None:
    accounts = dev_accounts(site)
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    priced = strategy_with(site, has_field("price"))
    open_terms(page, tmp_path, 207, priced)
    page.get_by_label("Price (FLOW)").fill("0.03")
    advance(page, "Next: splits", "splits")
    page.get_by_label("Recipient 1 share (%)").fill("70")
    page.get_by_role("button", name="Add recipient").click()
    page.get_by_label("Recipient 2 address").fill(accounts[FEATURED_INDEX])
    page.get_by_label("Recipient 2 share (%)").fill("30")
    advance(page, "Next: earnings", "earnings")
    advance(page, "Next: review and register", "register")
    assert page.locator("#tx-list li").count() == 3  # register, splits, price
    page.evaluate(REJECT_AFTER, 1)
    page.get_by_role("button", name="Register on chain").click()
    message = alert_text(page, "register")
    assert "You rejected the transaction: nothing was sent." in message
    assert "The song is registered; press the button to finish the remaining steps." in message
    assert page.locator("#tx-list li[data-status=done]").count() == 1
    assert page.locator("#step-register").get_by_role("button", name="Back").is_hidden()
    song = next(
        s for s in artist_songs(site, accounts[ARTIST_INDEX]) if s["title"] == "Form test 207"
    )
    eventually(lambda: indexed(site, song["song_id"], splits=0))  # registered, not yet split
    page.evaluate(ACCEPT)
    advance(page, "Finish the remaining steps", "done", timeout=90_000)
    song_id = (
        page.get_by_role("link", name="Open the song page").get_attribute("href").rsplit("/", 1)[1]
    )
    eventually(lambda: indexed(site, song_id, splits=2))
    economy = httpx.get(f"{site.url}/api/songs/{song_id}/economy").json()
    assert economy["stream_quote"]["wei"] == str(3 * 10**16)
    assert [(s["recipient"], s["bps"]) for s in economy["splits"]] == [
        (accounts[ARTIST_INDEX], 7000),
        (accounts[FEATURED_INDEX], 3000),
    ]

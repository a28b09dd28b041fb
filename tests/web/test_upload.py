"""The artist's upload page in real Chromium, through the dev wallet on the embedded chain: an
artist signs in, uploads a generated audio file and cover with progress, and registers one song
under every strategy of the catalogue with a three-way split; the API and the chain then show
each song under that strategy with exactly those splits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.media import audio_bytes, image_bytes
from tests.support.serve import Served
from tests.web.browser import audit

ARTIST_INDEX = 7  # a dev account the demo leaves alone, so its songs are only ours
FEATURED_INDEX = 8
PRODUCER_INDEX = 9
# The three-way split the artist types: percent shares, and the bps the chain must hold.
SPLIT = (("artist", "50"), ("featured", "30"), ("producer", "20"))
SPLIT_BPS = (5000, 3000, 2000)
# Values for terms the catalogue gives no default for, by field type (as typed in the form).
FILL = {"string": "Supporters", "wei": "1.5", "integer": "12", "seconds": "2"}
# Terms typed over their defaults, by field path, with the wei the chain must then hold: FLOW
# (and CGC) are typed in tokens and converted exactly, to the last of 18 decimals.
TYPED = {
    "price": ("0.025", 25 * 10**15),
    "cgc_per_listen": ("2.5", 25 * 10**17),
    "tiers.0.fee": ("1.000000000000000001", 10**18 + 1),
    "start_price": ("1.5", 15 * 10**17),
}


def dev_accounts(site: Served) -> list[str]:
    return [a["address"] for a in httpx.get(f"{site.url}/api/dev-wallet").json()["accounts"]]


def sign_in_as(page: Any, index: int) -> None:
    """Connect the dev wallet, switch to dev account `index` and sign in from the header."""
    page.get_by_role("button", name="Connect wallet").click()
    page.locator("#wallet-who").wait_for(state="visible")
    page.get_by_label("Dev account").select_option(index=index)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function("() => document.querySelector('#wallet').dataset.state === 'signed-in'")


def media_files(tmp_path: Path, seed: int) -> tuple[Path, Path]:
    """A distinct real MP3 (distinct audio, distinct song id) and PNG cover per `seed`."""
    audio = tmp_path / f"piece-{seed}.mp3"
    audio.write_bytes(audio_bytes("mp3", 2.0, seed=seed))
    cover = tmp_path / f"cover-{seed}.png"
    cover.write_bytes(image_bytes("png", 320, 320, seed=seed))
    return audio, cover


def upload_files(page: Any, audio: Path, cover: Path | None, title: str, genre: str) -> None:
    page.get_by_label("Audio file").set_input_files(str(audio))
    try:
        page.wait_for_function(
            "() => document.querySelector('#audio-status').textContent.startsWith('Uploaded')"
        )
    except Exception as exc:
        status = page.locator("#audio-status").inner_text()
        raise AssertionError(f"audio did not upload: {status!r}") from exc
    assert page.locator("#audio-progress").evaluate("p => p.value") == 100
    if cover is not None:
        page.get_by_label("Cover image").set_input_files(str(cover))
        page.wait_for_function(
            "() => document.querySelector('#cover-status').textContent.startsWith('Uploaded')"
        )
        page.locator("#cover-preview").wait_for(state="visible")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Genre").fill(genre)


def advance(page: Any, button: str, step: str, timeout: float = 20_000) -> None:
    """Press the step's button and wait for `step`; on failure, say what the page said."""
    page.get_by_role("button", name=button).click()
    try:
        page.locator(f"#step-{step}").wait_for(state="visible", timeout=timeout)
    except Exception as exc:
        alerts = page.locator("[role=alert]:visible, #notice:visible").all_inner_texts()
        raise AssertionError(f"{button!r} did not lead to {step!r}: {alerts}") from exc


def choose_strategy(page: Any, title: str, audit_as: str | None = None) -> None:
    advance(page, "Next: strategy", "strategy")
    if audit_as:
        audit(page, audit_as)
    page.locator("#strategy-list").get_by_label(title).check()
    advance(page, "Next: terms", "terms")


def fill_terms(page: Any) -> None:
    """Type the `TYPED` terms and a value into every other empty field; leave defaults."""
    for control in page.locator("#terms-fields input[data-path]").all():
        kind = control.get_attribute("data-type")
        path = control.get_attribute("data-path")
        if path in TYPED:
            control.fill(TYPED[path][0])
        elif kind in FILL and control.input_value() == "":
            control.fill(FILL[kind])
            if kind == "seconds":
                unit = page.locator(f'[data-unit-for="{path}"]')
                unit.select_option("days")


def fill_splits(page: Any, recipients: list[str]) -> None:
    advance(page, "Next: splits", "splits")
    while page.locator("#split-rows tr").count() < len(recipients):
        page.get_by_role("button", name="Add recipient").click()
    for n, (address, (role, share)) in enumerate(zip(recipients, SPLIT, strict=True), start=1):
        page.get_by_label(f"Recipient {n} address").fill(address)
        page.get_by_label(f"Recipient {n} role").select_option(role)
        page.get_by_label(f"Recipient {n} share (%)").fill(share)
    page.locator("#split-preview tbody tr").nth(len(recipients) - 1).wait_for()
    assert "Total: 100 %" in page.locator("#split-total").inner_text()


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Until `check()` holds: the indexer follows the chain a moment behind."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the catalogue never caught up with the chain"
        time.sleep(0.25)


def indexed(site: Served, song_id: str, splits: int = 3) -> bool:
    song = httpx.get(f"{site.url}/api/songs/{song_id}").json()
    return bool(song["registered"]) and len(song["splits"]) == splits


def indexed_price(site: Served, song_id: str) -> str | None:
    return httpx.get(f"{site.url}/api/songs/{song_id}").json()["stream_price"]


def analytics_count(site: Served, event: str) -> float:
    """The `/metrics` counter of analytics events named `event` (0 before the first)."""
    for line in httpx.get(f"{site.url}/metrics").text.splitlines():
        if line.startswith("mycelix_analytics_events_total{") and f'"{event}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_artist_registers_a_song_under_every_strategy_with_a_three_way_split(
    page: Any, site: Served, tmp_path: Path
) -> None:
    accounts = dev_accounts(site)
    artist = accounts[ARTIST_INDEX]
    recipients = [artist, accounts[FEATURED_INDEX], accounts[PRODUCER_INDEX]]
    catalogue = httpx.get(f"{site.url}/api/strategies").json()["strategies"]
    enabled = [s for s in catalogue if s["enabled"]]
    assert len(enabled) >= 4
    steps_before = analytics_count(site, "wizard_step")
    uploads_before = analytics_count(site, "upload_done")
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    registered: dict[str, str] = {}
    for seed, strategy in enumerate(enabled, start=101):
        first = seed == 101
        page.goto("/upload")
        if first:
            audit(page, "upload-files-empty")
        audio, cover = media_files(tmp_path, seed)
        title = f"Upload test under {strategy['title']}: a long title that has to wrap nicely"
        upload_files(page, audio, cover, title, "electronic")
        if first:
            audit(page, "upload-files")
        choose_strategy(page, strategy["title"], "upload-strategy" if first else None)
        fill_terms(page)
        # Every strategy's generated form, not just the first.
        audit(page, f"upload-terms-{strategy['name']}")
        fill_splits(page, recipients)
        if first:
            audit(page, "upload-splits")
        advance(page, "Next: earnings", "earnings")
        page.locator("#calc-results tbody tr").nth(len(enabled) - 1).wait_for()
        chosen = page.locator("#calc-results tr.chosen").inner_text()
        assert strategy["title"] in chosen
        if first:
            audit(page, "upload-earnings")
        advance(page, "Next: review and register", "register")
        assert title in page.locator("#review").inner_text()
        if first:
            audit(page, "upload-register")
        advance(page, "Register on chain", "done", timeout=90_000)
        if first:
            audit(page, "upload-done")
        href = page.get_by_role("link", name="Open the song page").get_attribute("href")
        registered[strategy["name"]] = href.rsplit("/", 1)[1]

    expected = [
        {"recipient": address, "bps": bps, "role": role}
        for address, bps, (role, _) in zip(recipients, SPLIT_BPS, SPLIT, strict=True)
    ]
    for name, song_id in registered.items():
        eventually(lambda sid=song_id: indexed(site, sid))
        song = httpx.get(f"{site.url}/api/songs/{song_id}").json()
        assert song["strategy"] == name and song["registered"], song
        assert song["artist"] == artist
        assert song["cover_url"] and song["duration"] and song["duration"] > 1.5
        assert [
            {"recipient": s["recipient"], "bps": s["bps"], "role": s["role"]}
            for s in song["splits"]
        ] == expected
        economy = httpx.get(f"{site.url}/api/songs/{song_id}/economy").json()
        assert economy["strategy"] == name
        assert [
            {"recipient": s["recipient"], "bps": s["bps"], "role": s["role"]}
            for s in economy["splits"]
        ] == expected
        # The terms typed reached the chain, exactly.
        fields = {f["name"] for f in next(s for s in enabled if s["name"] == name)["config"]}
        if "price" in fields:
            price = str(TYPED["price"][1])
            assert economy["terms"]["price"]["wei"] == price
            # Freemium's first plays quote 0 and its price is read live, not indexed.
            if "free_plays" not in fields:
                assert economy["stream_quote"]["wei"] == price
                eventually(lambda sid=song_id, price=price: indexed_price(site, sid) == price)
        if "cgc_per_listen" in fields:
            config = economy["gift"]["config"]
            assert config["configured"]
            assert config["cgc_per_listen"]["wei"] == str(TYPED["cgc_per_listen"][1])
        if "tiers" in fields:
            tiers = httpx.get(f"{site.url}/api/artists/{artist}/tiers").json()["tiers"]
            assert tiers[0]["fee"]["wei"] == str(TYPED["tiers.0.fee"][1])
            assert tiers[0]["name"] == FILL["string"]
        if "start_price" in fields:
            auction = httpx.get(f"{site.url}/api/songs/{song_id}/auction").json()["chain"][
                "auction"
            ]
            assert auction["start_price"]["wei"] == str(TYPED["start_price"][1])
            assert auction["slots"] == int(FILL["integer"]) and auction["duration"] == 2 * 86400
    # The artist's patron tiers are theirs, not the song's: the next song under a strategy
    # with tiers starts from them, and leaving them as they are costs no transaction.
    tiered = next(s for s in enabled if any(f["name"] == "tiers" for f in s["config"]))
    page.goto("/upload")
    audio, cover = media_files(tmp_path, 199)
    upload_files(page, audio, cover, "Second song for the patrons", "folk")
    choose_strategy(page, tiered["title"])
    terms = page.locator("#terms-fields")
    assert terms.locator('[data-path="tiers.0.name"]').input_value() == FILL["string"]
    assert terms.locator('[data-path="tiers.0.fee"]').input_value() == TYPED["tiers.0.fee"][0]
    assert "These are the ones you set before" in terms.locator(".note").inner_text()
    advance(page, "Next: splits", "splits")
    advance(page, "Next: earnings", "earnings")
    advance(page, "Next: review and register", "register")
    assert page.locator("#tx-list li").count() == 2  # register, splits: no tiers
    advance(page, "Register on chain", "done", timeout=90_000)
    tiers = httpx.get(f"{site.url}/api/artists/{artist}/tiers").json()["tiers"]
    assert tiers[0]["fee"]["wei"] == str(TYPED["tiers.0.fee"][1])

    # Every step the artist went through was counted, and so was every upload.
    eventually(
        lambda: (
            analytics_count(site, "wizard_step") >= steps_before + 7 * len(enabled)
            and analytics_count(site, "upload_done") >= uploads_before + 2 * len(enabled)
        )
    )


def test_presets_fill_terms_and_splits_and_a_band_of_three_registers(
    page: Any, site: Served, tmp_path: Path
) -> None:
    accounts = dev_accounts(site)
    artist = accounts[ARTIST_INDEX]
    page.goto("/upload")
    sign_in_as(page, ARTIST_INDEX)
    audio, cover = media_files(tmp_path, 150)
    upload_files(page, audio, cover, "Three of us", "rock")
    advance(page, "Next: strategy", "strategy")
    presets = page.locator("#preset-list input[type=radio]")
    assert presets.count() == 4
    assert all(p.is_enabled() for p in presets.all()), "every preset finds its strategy"
    # Patron community: two tiers, the second exclusive, typed in FLOW.
    page.get_by_label("Patron community").check()
    advance(page, "Next: terms", "terms")
    terms = page.locator("#terms-fields")
    assert terms.locator('[data-path="tiers.0.name"]').input_value() == "Supporter"
    assert terms.locator('[data-path="tiers.0.fee"]').input_value() == "2"
    assert terms.locator('[data-path="tiers.1.name"]').input_value() == "Inner circle"
    assert terms.locator('[data-path="tiers.1.exclusive"]').is_checked()
    page.get_by_role("button", name="Remove tier").nth(1).click()
    assert terms.locator(".item").count() == 1
    page.locator("#step-terms").get_by_role("button", name="Back").click()
    # Band of three: its price and its three roles.
    page.get_by_label("Band of three").check()
    advance(page, "Next: terms", "terms")
    assert page.get_by_label("Price (FLOW)").input_value() == "0.02"
    advance(page, "Next: splits", "splits")
    assert page.locator("#split-rows tr").count() == 3
    assert page.get_by_label("Recipient 1 address").input_value() == artist
    roles = [page.get_by_label(f"Recipient {n} role").input_value() for n in (1, 2, 3)]
    assert roles == ["artist", "featured", "producer"]
    shares = [page.get_by_label(f"Recipient {n} share (%)").input_value() for n in (1, 2, 3)]
    assert shares == ["34", "33", "33"]
    page.get_by_label("Recipient 2 address").fill(accounts[FEATURED_INDEX])
    page.get_by_label("Recipient 3 address").fill(accounts[PRODUCER_INDEX])
    page.locator("#split-preview tbody tr").nth(2).wait_for()
    advance(page, "Next: earnings", "earnings")
    advance(page, "Next: review and register", "register")
    assert "Band of three" in page.locator("#review").inner_text()
    advance(page, "Register on chain", "done", timeout=90_000)
    href = page.get_by_role("link", name="Open the song page").get_attribute("href")
    song_id = href.rsplit("/", 1)[1]
    eventually(lambda: indexed(site, song_id))
    economy = httpx.get(f"{site.url}/api/songs/{song_id}/economy").json()
    assert economy["stream_quote"]["wei"] == str(2 * 10**16)
    eventually(lambda: indexed_price(site, song_id) == str(2 * 10**16))
    song = httpx.get(f"{site.url}/api/songs/{song_id}").json()
    assert [(s["recipient"], s["bps"], s["role"]) for s in song["splits"]] == [
        (artist, 3400, "artist"),
        (accounts[FEATURED_INDEX], 3300, "featured"),
        (accounts[PRODUCER_INDEX], 3300, "producer"),
    ]

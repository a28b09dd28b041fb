"""The player in real Chromium: real audio over the Range endpoint, the waveform as a keyboard
slider (aria-valuenow follows), space and k to play and pause, the time display, seeking by
click — and a play recorded once per listen: pausing and resuming stay one listen (one
`play_start`, one `play_end`, one play on chain for a signed-in listener), a replay after the
end is a new one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.serve import Served
from tests.web.test_listener import Account, analytics_totals, as_listener, dev_accounts, wait_for

LISTENER = 6


def free_demo_song(site: Served) -> dict[str, Any]:
    """A demo song anyone may play without paying, by a demo artist (a dev account); the
    indexer may still be catching up with the demo when the first test starts."""
    artists = {a.lower() for a in dev_accounts(site)}

    def find() -> dict[str, Any] | None:
        for song in httpx.get(f"{site.url}/api/songs?limit=100").json()["items"]:
            if song["artist"].lower() not in artists or not song["registered"]:
                continue
            economy = httpx.get(f"{site.url}/api/songs/{song['song_id']}/economy").json()
            if economy["authorized"] and economy["stream_quote"] == {"wei": "0", "flow": "0"}:
                return song
        return None

    return wait_for(find, "a free demo song", timeout=60)


def audio(page: Any, expression: str) -> Any:
    return page.evaluate(f"() => document.getElementById('audio').{expression}")


def played(site: Served, song_id: str, listener: str) -> int:
    answer = httpx.get(
        f"{site.url}/api/plays", params={"song": song_id, "listener": listener, "limit": 200}
    )
    return len(answer.json()["items"])


def test_waveform_is_a_keyboard_slider_and_seeks(page: Any, site: Served) -> None:
    song = free_demo_song(site)
    page.goto(f"/songs/{song['song_id']}")
    wave = page.get_by_role("slider", name=f"Seek in {song['title']}")
    assert wave.get_attribute("aria-valuenow") == "0"
    assert page.locator("#waveform svg.wave-base rect").count() > 20  # drawn from the peaks
    end = str(int(song["duration"]))
    wave.focus()
    page.keyboard.press("End")
    assert wave.get_attribute("aria-valuenow") == end
    assert page.locator("#time-current").inner_text() == f"0:{int(song['duration']):02d}"
    page.keyboard.press("Home")
    assert wave.get_attribute("aria-valuenow") == "0"
    page.keyboard.press("ArrowRight")
    assert int(wave.get_attribute("aria-valuenow")) > 0
    page.keyboard.press("ArrowLeft")
    assert wave.get_attribute("aria-valuenow") == "0"
    box = wave.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    assert int(wave.get_attribute("aria-valuenow")) == int(song["duration"] * 0.8)
    # Playing starts where the slider is.
    page.keyboard.press("Home")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.3")
    assert page.locator("#play").inner_text() == "Pause"


def test_a_listen_is_recorded_once_through_pauses_and_again_after_the_end(
    page: Any, site: Served
) -> None:
    song = free_demo_song(site)
    artist = Account(site, song["artist"])
    listener = dev_accounts(site)[LISTENER]
    before = analytics_totals(artist, song["song_id"])
    plays_before = played(site, song["song_id"], listener)

    as_listener(page, listener)
    page.goto(f"/songs/{song['song_id']}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function("() => document.getElementById('wallet').dataset.state === 'signed-in'")
    page.locator("h1").click()  # focus on the page, not on a control
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.5")
    page.keyboard.press("k")
    page.wait_for_function("() => document.getElementById('audio').paused")
    paused_at = audio(page, "currentTime")
    assert page.locator("#play").inner_text() == "Resume"
    page.wait_for_timeout(400)
    assert audio(page, "currentTime") == paused_at
    page.keyboard.press("k")
    page.wait_for_function("() => document.getElementById('audio').ended", timeout=30_000)
    assert page.locator("#time-current").inner_text() == page.locator("#time-total").inner_text()
    wait_for(lambda: played(site, song["song_id"], listener) == plays_before + 1, "one play")

    # After the end, playing again is a new listen.
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => document.getElementById('audio').ended", timeout=30_000)
    wait_for(lambda: played(site, song["song_id"], listener) == plays_before + 2, "a second play")

    def settled() -> dict[str, int] | None:
        now = analytics_totals(artist, song["song_id"])
        return now if now.get("play_end", 0) - before.get("play_end", 0) >= 2 else None

    after = wait_for(settled, "both play_end events")
    for name in ("play_start", "play_end"):
        assert after.get(name, 0) - before.get(name, 0) == 2, name
    assert after.get("play_pause", 0) - before.get("play_pause", 0) == 1
    page.wait_for_timeout(500)
    assert played(site, song["song_id"], listener) == plays_before + 2

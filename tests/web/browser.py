"""Chromium through Playwright for the web tests: Debian's /usr/bin/chromium (Playwright's own
browser download does not work here), axe-core from npm injected into pages, screenshots kept
as test artefacts under `artifacts/screenshots/` (git-ignored; CI keeps the folder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("MYCELIX_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
WIDTHS = {"desktop": 1280, "phone": 390}


def chromium_path() -> str:
    """Debian's Chromium; without it the web tests fail under CI (./dev installs it) and
    skip with the reason elsewhere."""
    found = os.environ.get("MYCELIX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        message = "Chromium is not installed (apt-get install chromium): the web tests need it"
        if os.environ.get("CI") == "true" or os.environ.get("MYCELIX_REQUIRE_CHROMIUM") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def check_axe(page: Any, label: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run ./dev test (it runs npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{label}: accessibility violations:\n" + "\n".join(bad)


def no_horizontal_overflow(page: Any, label: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, f"{label}: page is {width}px wide in a {viewport}px viewport"


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def audit(page: Any, name: str) -> None:
    """At both widths: axe passes, nothing overflows at phone width, and a screenshot."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        check_axe(page, f"{name} at {width}px")
        if label == "phone":
            no_horizontal_overflow(page, f"{name} at {width}px")
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})

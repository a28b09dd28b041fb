"""One seeded `mycelix serve` (the demo catalogue, embedded chain, dev wallet) per test session
of this folder, and a fresh Chromium page per test that fails the test on any JavaScript error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.serve import Served, serve
from tests.web.browser import CHROMIUM_ARGS, WIDTHS, chromium_path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("web")) as served:
        yield served


# Per module, not per session: Playwright's sync API runs an event loop on this thread while
# it is started, and a later test file on the same worker that runs its own loop
# (asyncio.run, anyio) would find it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class PageErrors(list[str]):
    pass


@pytest.fixture
def page(browser: Any, site: Served) -> Iterator[Any]:
    context = browser.new_context(
        base_url=site.url, viewport={"width": WIDTHS["desktop"], "height": 900}
    )
    context.set_default_timeout(20_000)
    opened = context.new_page()
    errors = PageErrors()
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    opened.errors = errors
    yield opened
    context.close()
    # Console errors for expected refusals (4xx the page handles) are the page's to show;
    # uncaught exceptions never are.
    uncaught = [e for e in errors if "Failed to load resource" not in e]
    assert not uncaught, f"JavaScript errors on the page: {uncaught}"

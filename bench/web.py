"""The web pages under concurrent load against the JSON API's page of the same songs, in one
run, and what each page costs a browser to load.

Starts a seeded `mycelix serve` on an empty data directory (the first-start demo, as the web
tests do), then, back to back with wrk on loopback:

- baseline: the JSON API's page of the same songs (`/api/songs?limit=24`, cycling through the
  sorts the discover page offers) and the API's song detail (cycling through every song);
- the rendered home page (`/`), discover (`/discover`, cycling through the same sorts) and the
  song page (`/songs/{id}`, cycling through every song; skipped with a message while that
  route answers 404 on this checkout);
- for scale, the home page when every request misses the response cache (a new query string
  each time): the cost of rendering it, which the cache spares all but the first visitor
  after each catalogue change.

It prints requests/s, p50 and p99, each page's ratio to the API page (target ≥ 0.5×), and each
page's transferred bytes as a fresh Chromium loads it (HTML, CSS, JS, images and the JSON the
page's scripts fetch; audio excluded; target ≤ 150 kB), then stops everything it started.

    .venv/bin/python bench/web.py [--duration 10] [--rounds 3] [--connections 16] [--threads 2]

wrk is installed with apt-get when missing and we are root (as bench/api.py does); Chromium is
Debian's /usr/bin/chromium through Playwright, like the web tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
# tests/support (the seeded server) and bench/api.py (wrk) are not installed: import them from
# the checkout.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

from api import Result, Wrk, _which, ensure_tools  # noqa: E402

from tests.support.serve import serve  # noqa: E402

T = TypeVar("T")
TARGET_RATIO = 0.5
TARGET_BYTES = 150_000
SORTS = ("newest", "oldest", "title", "plays")
PAGE = 24  # songs per discover page, as the page renders them


@dataclass(frozen=True)
class Weight:
    page: str
    by_kind: dict[str, int]
    requests: int

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def page_weight(browser: Any, base: str, path: str) -> Weight:
    """Bytes a fresh browser context receives loading `path` (bodies plus headers, as sent),
    grouped by resource type; audio is left out (it streams on play, by Range)."""
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen: list[Any] = []
    page.on("requestfinished", lambda request: seen.append(request))
    page.goto(path, wait_until="networkidle")
    page.wait_for_timeout(300)  # fire-and-forget analytics
    by_kind: dict[str, int] = {}
    counted = 0
    for request in seen:
        response = request.response()
        kind = request.resource_type
        media = response.headers.get("content-type", "") if response else ""
        if kind == "media" or media.startswith("audio/") or "/audio" in request.url:
            continue
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        by_kind[kind] = by_kind.get(kind, 0) + size
        counted += 1
    context.close()
    return Weight(path, by_kind, counted)


def weights(base: str, paths: list[str]) -> list[Weight]:
    from playwright.sync_api import sync_playwright

    executable = _which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            return [page_weight(browser, base, path) for path in paths]
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target")
    args = parser.parse_args()
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="mycelix-bench-web-") as tmp:
        work = Path(tmp)
        print("starting a seeded server (the first-start demo)…", flush=True)
        with serve(work / "data") as site:
            run(args, site.url, work)


def ensure_wrk() -> None:
    if _which("wrk") is None:
        ensure_tools()  # bench/api.py's: apt-get install when root


def run(args: argparse.Namespace, base: str, work: Path) -> None:
    songs = httpx.get(f"{base}/api/songs", params={"limit": 100}).json()["items"]
    ids = [s["song_id"] for s in songs]
    if not ids:
        sys.exit("error: the seeded server lists no songs")
    song_route = httpx.get(f"{base}/songs/{ids[0]}").status_code
    print(f"{len(ids)} songs; /songs/{{id}} answers {song_route}", flush=True)

    targets: dict[str, tuple[str, list[str]]] = {
        "api page": (
            f"API page ({PAGE} songs)",
            [f"/api/songs?limit={PAGE}&sort={s}" for s in SORTS],
        ),
        "api detail": ("API song detail", [f"/api/songs/{i}" for i in ids]),
        "home": ("home page /", ["/"]),
        "discover": ("discover page", [f"/discover?sort={s}" for s in SORTS]),
    }
    if song_route == 200:
        targets["song"] = ("song page /songs/{id}", [f"/songs/{i}" for i in ids])
    else:
        print(f"song page /songs/{{id}}: skipped, the route answers {song_route} here")
    print(
        f"\nwrk: {args.threads} threads, {args.connections} connections, {args.duration:g} s "
        f"per target, {args.rounds} interleaved rounds (the first after {args.warmup:g} s of "
        "warm-up); each target's median round counts",
        flush=True,
    )
    # Rounds interleave the targets, so a burst of load from elsewhere on a shared machine
    # hits them all alike, and the median round of each is compared.
    rounds: dict[str, list[Result]] = {key: [] for key in targets}
    for n in range(args.rounds):
        wrk = Wrk(
            work, args.threads, args.connections, args.duration, args.warmup if n == 0 else 0, 1
        )
        for key, (name, paths) in targets.items():
            rounds[key].append(wrk.run(name, base, paths))
    r = {key: median(runs, key=lambda x: x.rps) for key, runs in rounds.items()}
    # Each target's ratio is taken within a round (against the API page measured seconds
    # before it), then the median of the rounds' ratios.
    ratios = {
        key: median(
            [a.rps and b.rps / a.rps for a, b in zip(rounds["api page"], runs, strict=True)],
            key=float,
        )
        for key, runs in rounds.items()
    }
    # What a cache miss costs: every URL new (no warm-up, which would cache the first ones).
    cold = Wrk(work, args.threads, args.connections, args.duration, 0, passes=1)
    r["home render"] = cold.run(
        "home page, rendered (cache miss)", base, [f"/?visit={i}" for i in range(100_000)]
    )
    ratios["home render"] = r["home render"].rps / r["api page"].rps

    pages = ["/", "/discover"] + ([f"/songs/{ids[0]}"] if song_route == 200 else [])
    print("\nloading each page in a fresh Chromium context…", flush=True)
    weighed = weights(base, pages)
    report(r, ratios, weighed, song_route)


def median(values: list[T], key: Callable[[T], float]) -> T:
    """The middle value (the lower middle of an even count)."""
    return sorted(values, key=key)[(len(values) - 1) // 2]


def report(
    r: dict[str, Result], ratios: dict[str, float], weighed: list[Weight], song_route: int
) -> None:
    print(f"\n{'page':<22}{'req/s':>10}{'p99 ms':>10}{'× API page':>12}  target ≥ {TARGET_RATIO}×")
    for key, label in (
        ("api page", "API page (baseline)"),
        ("api detail", "API song detail"),
        ("home", "home /"),
        ("discover", "discover"),
        ("song", "song /songs/{id}"),
        ("home render", "home, every URL new"),
    ):
        if key not in r:
            print(f"{label:<22}{'skipped: /songs/{id} answers ' + str(song_route):>44}")
            continue
        res = r[key]
        ratio = ratios[key]
        target = not key.startswith("api") and key != "home render"
        met = ("met" if ratio >= TARGET_RATIO else "MISSED") if target else ""
        print(f"{label:<22}{res.rps:>10,.0f}{res.p99_ms:>10.1f}{ratio:>11.2f}×  {met}")
    limit = f"target ≤ {TARGET_BYTES // 1000} kB"
    print(f"\n{'page':<22}{'kB':>8}  {'requests':>8}  by type (kB)   {limit}")
    for w in weighed:
        kinds = ", ".join(f"{k} {v / 1000:.1f}" for k, v in sorted(w.by_kind.items()))
        met = "met" if w.total <= TARGET_BYTES else "MISSED"
        name = "/songs/{id}" if w.page.startswith("/songs/") else w.page
        print(f"{name:<22}{w.total / 1000:>8.1f}  {w.requests:>8}  {kinds}  {met}")


if __name__ == "__main__":
    main()

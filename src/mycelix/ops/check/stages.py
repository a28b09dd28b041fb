"""The seven stages of `mycelix check`. Each is a generator of probes, so what it verified
before an unexpected error is kept; the runner turns that error into a failed probe and goes on
with the next stage."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis
from eth_utils import keccak
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from web3 import Web3

from mycelix.catalog.db import create_engine, normalize_url
from mycelix.catalog.migrate import current_revision, head_revision
from mycelix.chain import artifacts
from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.ops.chainview import chain_view
from mycelix.ops.check.model import Probe
from mycelix.ops.metrics import exported_families
from mycelix.strategies import registry
from mycelix.strategies.ids import strategy_id

ZERO_ADDRESS = "0x" + "00" * 20
# Read routes that need no sign-in and no particular catalogue content.
READ_ROUTES = ("/api/strategies", "/api/songs?limit=5", "/openapi.json")
LATENCY_ROUTES = ("/health", "/api/songs?limit=5", "/api/strategies")


@dataclass
class CheckContext:
    settings: Settings
    api_url: str
    samples: int = 20
    budget_ms: float = 500.0
    owner: str | None = None
    timeout_s: float = 10.0
    _http: httpx.Client | None = None
    _chain: Web3 | None = None
    _chain_error: Exception | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = self._stack.enter_context(
                httpx.Client(base_url=self.api_url, timeout=self.timeout_s)
            )
        return self._http

    def chain(self) -> Web3:
        """The service's chain, opened once for every stage (or the same error each time)."""
        if self._chain is None and self._chain_error is None:
            try:
                self._chain = self._stack.enter_context(chain_view(self.settings))
            except Exception as exc:
                self._chain_error = exc
        if self._chain_error is not None:
            raise self._chain_error
        assert self._chain is not None
        return self._chain

    def close(self) -> None:
        self._stack.close()


Stage = Callable[[CheckContext], Iterator[Probe]]


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:.0f} ms"


def _describe_url(url: str) -> str:
    return normalize_url(url).render_as_string(hide_password=True)


def dependencies(ctx: CheckContext) -> Iterator[Probe]:
    """Database, Redis (when configured), chain and content store answer."""
    s = ctx.settings
    start = time.perf_counter()
    try:
        url = normalize_url(s.catalog_url)
        if url.get_backend_name() == "sqlite" and not os.path.isfile(url.database or ""):
            # Connecting would create an empty file and hide the mistake.
            yield Probe.fail("database", f"no catalogue database at {url.database}")
        else:
            engine = create_engine(url)
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            finally:
                engine.dispose()
            yield Probe.ok("database", f"{_describe_url(s.catalog_url)} ({_ms(start)})")
    except Exception as exc:
        yield Probe.fail("database", f"{_describe_url(s.catalog_url)}: {exc}")
    if s.redis_url:
        start = time.perf_counter()
        try:
            redis.Redis.from_url(s.redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
            yield Probe.ok("redis", f"{s.redis_url} ({_ms(start)})")
        except Exception as exc:
            yield Probe.fail("redis", f"{s.redis_url}: {exc}")
    else:
        yield Probe.skip("redis", "not configured (state is kept in the process)")
    start = time.perf_counter()
    where = s.rpc_url or f"embedded chain in {s.chain_dir}"
    try:
        w3 = ctx.chain()
        yield Probe.ok(
            "chain", f"{where}: chain {w3.eth.chain_id}, block {w3.eth.block_number} ({_ms(start)})"
        )
    except Exception as exc:
        yield Probe.fail("chain", str(exc))
    content = s.content_dir
    if not content.is_dir():
        yield Probe.fail("content store", f"{content} is not a directory")
    elif not os.access(content, os.R_OK | os.W_OK | os.X_OK):
        yield Probe.fail("content store", f"{content} is not readable and writable")
    else:
        yield Probe.ok("content store", str(content))


def _get(ctx: CheckContext, path: str) -> httpx.Response:
    return ctx.http.get(path)


def service(ctx: CheckContext) -> Iterator[Probe]:
    """`/health`, `/ready` and `/metrics` answer as documented."""
    for path, check in (
        ("/health", lambda r: r.json().get("status") == "ok"),
        ("/ready", lambda r: r.json().get("status") == "ready"),
        ("/metrics", lambda r: r.headers.get("content-type", "").startswith("text/plain")),
    ):
        try:
            response = _get(ctx, path)
        except httpx.HTTPError as exc:
            yield Probe.fail(path, f"{ctx.api_url}{path}: {exc or type(exc).__name__}")
            continue
        try:
            if response.status_code == 200 and check(response):
                yield Probe.ok(path, "200")
            elif path == "/ready" and response.status_code == 503:
                checks = response.json()["checks"]
                down = "; ".join(
                    f"{k}: {v.get('error', '')}" for k, v in checks.items() if not v["ok"]
                )
                yield Probe.fail(path, f"503, not ready: {down}")
            else:
                yield Probe.fail(path, f"HTTP {response.status_code}: {response.text[:200]}")
        except (ValueError, KeyError, AttributeError):
            # Not the service's JSON (a proxy's error page, another program on the port).
            yield Probe.fail(
                path, f"HTTP {response.status_code}, unexpected body: {response.text[:200]}"
            )


def _contract(w3: Web3, name: str, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifacts.load(name).abi)


def contracts(ctx: CheckContext) -> Iterator[Probe]:
    """The manifest's contracts are on chain with their code hashes, owner and wiring."""
    path = ctx.settings.manifest_path
    manifest = Manifest.load(path)
    yield Probe.ok("manifest", str(path))
    w3 = ctx.chain()
    chain_id = w3.eth.chain_id
    yield Probe.expect(
        "chain id", chain_id == manifest.chain_id, f"{chain_id} (manifest {manifest.chain_id})"
    )
    for name, address in manifest.addresses.items():
        code = w3.eth.get_code(address)
        if not code:
            yield Probe.fail(f"code {name}", f"no contract at {address}")
            continue
        same = "0x" + keccak(code).hex() == manifest.code_hashes.get(name)
        yield Probe.expect(
            f"code {name}",
            same,
            address if same else f"code at {address} differs from the manifest",
        )
    router = _contract(w3, "EconomicStrategyRouter", manifest.router)
    owner = router.functions.owner().call()
    if owner == ZERO_ADDRESS:
        yield Probe.fail("router owner", "the router has no owner (zero address)")
    elif ctx.owner is not None and owner.lower() != ctx.owner.lower():
        yield Probe.fail("router owner", f"{owner}, expected {ctx.owner}")
    else:
        yield Probe.ok("router owner", owner)
    token = router.functions.token().call()
    yield Probe.expect(
        "router token", token == manifest.token, f"{token} (manifest {manifest.token})"
    )
    for contract_name, registry_name in registry.contracts().items():
        if contract_name not in manifest.addresses:
            yield Probe.fail(f"strategy {registry_name}", f"{contract_name} is not in the manifest")
            continue
        address = manifest.addresses[contract_name]
        known = router.functions.strategy_id_of(address).call() == strategy_id(registry_name)
        back = _contract(w3, contract_name, address).functions.router().call() == manifest.router
        yield Probe.expect(
            f"strategy {registry_name}",
            known and back,
            "registered with the router, points back to it"
            if known and back
            else ("not registered with the router" if not known else "points to another router"),
        )
    if "GiftCredits" in manifest.addresses and "GiftEconomy" in manifest.addresses:
        cgc = _contract(w3, "GiftCredits", manifest.addresses["GiftCredits"])
        minter = cgc.functions.is_minter(manifest.addresses["GiftEconomy"]).call()
        yield Probe.expect(
            "CGC minter",
            minter,
            "the gift strategy mints CGC" if minter else "the gift strategy cannot mint CGC",
        )


def routes(ctx: CheckContext) -> Iterator[Probe]:
    """A few read routes answer, and an unknown song gets the documented error body."""
    for path in READ_ROUTES:
        try:
            response = _get(ctx, path)
        except httpx.HTTPError as exc:
            yield Probe.fail(path, f"{exc or type(exc).__name__}")
            continue
        yield Probe.expect(path, response.status_code == 200, f"HTTP {response.status_code}")
    missing = "/api/songs/0x" + "00" * 32
    try:
        response = _get(ctx, missing)
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        ok = response.status_code == 404 and "code" in body.get("error", {})
        yield Probe.expect("unknown song → 404", ok, f"HTTP {response.status_code}")
    except httpx.HTTPError as exc:
        yield Probe.fail("unknown song → 404", f"{exc or type(exc).__name__}")


def database(ctx: CheckContext) -> Iterator[Probe]:
    """The catalogue is at the newest migration this version ships."""
    head = head_revision()
    url = normalize_url(ctx.settings.catalog_url)
    if url.get_backend_name() == "sqlite" and not os.path.isfile(url.database or ""):
        yield Probe.fail("migration", f"no catalogue database at {url.database}")
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            current = current_revision(conn)
    finally:
        engine.dispose()
    yield Probe.expect(
        "migration",
        current == head,
        f"at head {head}"
        if current == head
        else f"at {current}, head is {head} (restart the service to migrate)",
    )


def metric_families(ctx: CheckContext) -> Iterator[Probe]:
    """Every family the service's registry defines is on /metrics, with its type."""
    # The text format has no "info" type: an info family is exposed as a gauge.
    expected = {n: "gauge" if t == "info" else t for n, t in exported_families().items()}
    response = _get(ctx, "/metrics")
    if response.status_code != 200:
        yield Probe.fail("families", f"/metrics answered HTTP {response.status_code}")
        return
    seen = {
        family.name + ("_total" if family.type == "counter" else ""): family.type
        for family in text_string_to_metric_families(response.text)
    }
    problems = [f"missing {n}" for n in sorted(expected) if n not in seen]
    problems += [
        f"{n} is a {seen[n]}, not a {kind}"
        for n, kind in sorted(expected.items())
        if n in seen and seen[n] != kind
    ]
    yield Probe.expect(
        "families",
        not problems,
        "; ".join(problems) or f"all {len(expected)} families present",
    )


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def latency(ctx: CheckContext) -> Iterator[Probe]:
    """p95 of `samples` sequential requests per route stays under the budget."""
    for path in LATENCY_ROUTES:
        try:
            _get(ctx, path)  # warm the connection and caches: the budget is for steady state
            times = []
            for _ in range(ctx.samples):
                start = time.perf_counter()
                response = _get(ctx, path)
                times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}")
        except (httpx.HTTPError, RuntimeError) as exc:
            yield Probe.fail(path, f"{exc or type(exc).__name__}")
            continue
        worst = p95(times)
        yield Probe.expect(
            path,
            worst <= ctx.budget_ms,
            f"p95 {worst:.1f} ms of {ctx.samples} (budget {ctx.budget_ms:g} ms)",
        )


STAGES: tuple[tuple[str, Stage], ...] = (
    ("dependencies", dependencies),
    ("service", service),
    ("contracts", contracts),
    ("routes", routes),
    ("database", database),
    ("metrics", metric_families),
    ("latency", latency),
)

"""Prometheus metrics: one registry per running platform (no global singletons, so tests can
build many apps), every family documented in docs/metrics.md (a test checks both ways)."""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from mycelix import __version__

LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """All metric families of the service."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        ns = "mycelix"
        self.build = Info("build", "Version of the running service.", namespace=ns, registry=r)
        self.build.info({"version": __version__})
        # HTTP (RED), labelled by route template, never the raw path.
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            namespace=ns,
            registry=r,
        )
        self.http_latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency.",
            ["method", "route"],
            buckets=LATENCY,
            namespace=ns,
            registry=r,
        )
        self.http_in_flight = Gauge(
            "http_requests_in_flight", "HTTP requests being served.", namespace=ns, registry=r
        )
        self.http_errors = Counter(
            "http_errors",
            "HTTP answers with an error body, by code.",
            ["route", "code"],
            namespace=ns,
            registry=r,
        )
        self.rate_limited = Counter(
            "rate_limited",
            "Requests refused by the rate limiter.",
            ["route"],
            namespace=ns,
            registry=r,
        )
        # Content.
        self.uploads = Counter(
            "uploads", "Uploads by kind and outcome.", ["kind", "outcome"], namespace=ns, registry=r
        )
        self.upload_bytes = Counter(
            "upload_bytes", "Bytes of accepted uploads.", ["kind"], namespace=ns, registry=r
        )
        self.upload_dedup = Counter(
            "upload_deduplicated",
            "Uploads whose content was already stored.",
            ["kind"],
            namespace=ns,
            registry=r,
        )
        self.streams = Counter(
            "streams",
            "Audio stream responses by status code.",
            ["status"],
            namespace=ns,
            registry=r,
        )
        self.stream_bytes = Counter("stream_bytes", "Audio bytes served.", namespace=ns, registry=r)
        self.stream_denied = Counter(
            "stream_denied",
            "Stream requests refused, by reason.",
            ["reason"],
            namespace=ns,
            registry=r,
        )
        # Economy (from the indexer, so they count what the chain did).
        self.plays = Counter(
            "plays", "Plays recorded on chain, by strategy.", ["strategy"], namespace=ns, registry=r
        )
        self.payments = Counter(
            "payments",
            "Charged payments, by strategy and type.",
            ["strategy", "type"],
            namespace=ns,
            registry=r,
        )
        self.revenue = Counter(
            "revenue_flow",
            "FLOW charged, by strategy and type.",
            ["strategy", "type"],
            namespace=ns,
            registry=r,
        )
        self.fees = Counter(
            "protocol_fees_flow", "FLOW credited to the treasury.", namespace=ns, registry=r
        )
        self.withdrawals = Counter(
            "withdrawals_flow", "FLOW withdrawn by recipients.", namespace=ns, registry=r
        )
        self.songs_registered = Counter(
            "songs_registered",
            "Songs registered on chain, by strategy.",
            ["strategy"],
            namespace=ns,
            registry=r,
        )
        self.splits_configured = Counter(
            "splits_configured", "Songs whose splits were configured.", namespace=ns, registry=r
        )
        self.patronage = Counter(
            "patronage_payments",
            "Patronage joins and renewals.",
            ["kind"],
            namespace=ns,
            registry=r,
        )
        self.auction_slots = Counter(
            "auction_slots_sold", "Auction slots sold.", namespace=ns, registry=r
        )
        self.cgc_minted = Counter(
            "cgc_minted", "CGC gift credits minted to listeners.", namespace=ns, registry=r
        )
        self.prepared = Counter(
            "prepared_transactions",
            "Transactions prepared for wallets, by action.",
            ["action"],
            namespace=ns,
            registry=r,
        )
        self.analytics_events = Counter(
            "analytics_events",
            "Analytics events ingested, by name.",
            ["name"],
            namespace=ns,
            registry=r,
        )
        # Auth.
        self.siwe_nonces = Counter(
            "siwe_nonces_issued", "Sign-In with Ethereum nonces issued.", namespace=ns, registry=r
        )
        self.siwe_logins = Counter(
            "siwe_logins",
            "Sign-In with Ethereum attempts by outcome.",
            ["outcome"],
            namespace=ns,
            registry=r,
        )
        # Indexer.
        self.indexer_head = Gauge(
            "indexer_head_block", "Last block the indexer has applied.", namespace=ns, registry=r
        )
        self.chain_head = Gauge(
            "chain_head_block", "Latest block the chain reports.", namespace=ns, registry=r
        )
        self.indexer_lag = Gauge(
            "indexer_lag_blocks",
            "Blocks between the chain head and the indexer.",
            namespace=ns,
            registry=r,
        )
        self.indexer_events = Counter(
            "indexer_events",
            "Chain events applied, by event name.",
            ["event"],
            namespace=ns,
            registry=r,
        )
        self.indexer_reorgs = Counter(
            "indexer_reorgs", "Chain reorganisations undone.", namespace=ns, registry=r
        )
        self.indexer_up = Gauge(
            "indexer_up",
            "1 while the embedded indexer runs, 0 while it restarts.",
            namespace=ns,
            registry=r,
        )
        self.indexer_restarts = Counter(
            "indexer_restarts",
            "Times the embedded indexer died and was restarted.",
            namespace=ns,
            registry=r,
        )
        self.indexer_last_batch = Gauge(
            "indexer_last_batch_timestamp_seconds",
            "Unix time of the indexer's last committed batch.",
            namespace=ns,
            registry=r,
        )
        self.indexer_batch = Histogram(
            "indexer_batch_duration_seconds",
            "Time to index one batch of blocks.",
            buckets=SLOW,
            namespace=ns,
            registry=r,
        )
        # Play vouchers (mycelix.vouchers).
        self.vouchers_queued = Counter(
            "vouchers_queued",
            "Signed play vouchers accepted as proof of payment and queued.",
            namespace=ns,
            registry=r,
        )
        self.vouchers_settled = Counter(
            "vouchers_settled",
            "Queued vouchers the router settled.",
            namespace=ns,
            registry=r,
        )
        self.vouchers_skipped = Counter(
            "vouchers_skipped",
            "Queued vouchers the router skipped, by reason.",
            ["reason"],
            namespace=ns,
            registry=r,
        )
        self.voucher_batch_gas = Histogram(
            "voucher_batch_gas",
            "Gas used by one settlement transaction.",
            buckets=(1e5, 2.5e5, 5e5, 1e6, 2e6, 4e6, 8e6, 16e6),
            namespace=ns,
            registry=r,
        )
        # Dependencies.
        self.rpc_latency = Histogram(
            "chain_rpc_duration_seconds",
            "Chain JSON-RPC latency by method.",
            ["method"],
            buckets=LATENCY,
            namespace=ns,
            registry=r,
        )
        self.rpc_errors = Counter(
            "chain_rpc_errors",
            "Chain JSON-RPC failures by method.",
            ["method"],
            namespace=ns,
            registry=r,
        )
        self.db_latency = Histogram(
            "db_query_duration_seconds",
            "Catalogue query latency by operation.",
            ["operation"],
            buckets=LATENCY,
            namespace=ns,
            registry=r,
        )
        self.cache = Counter(
            "cache_requests",
            "Cache lookups by cache and result.",
            ["cache", "result"],
            namespace=ns,
            registry=r,
        )
        # Disk: the filesystem holding the data directory (chain, content, SQLite catalogue).
        self.disk_free = Gauge(
            "data_dir_free_bytes",
            "Bytes free on the data directory's filesystem.",
            namespace=ns,
            registry=r,
        )
        self.disk_size = Gauge(
            "data_dir_size_bytes",
            "Size in bytes of the data directory's filesystem.",
            namespace=ns,
            registry=r,
        )

    def watch_disk(self, path: Path) -> None:
        """Read the data directory's filesystem usage at every scrape (0 until called)."""
        self.disk_free.set_function(lambda: float(shutil.disk_usage(path).free))
        self.disk_size.set_function(lambda: float(shutil.disk_usage(path).total))


# How prometheus_client exposes each family type: the family's sample names by suffix.
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def exported_families(registry: CollectorRegistry | None = None) -> dict[str, str]:
    """Each family as named on /metrics (counters with `_total`, infos with `_info`) -> type."""
    families = (registry or Metrics().registry).collect()
    return {
        f.name + ("_total" if f.type == "counter" else "_info" if f.type == "info" else ""): f.type
        for f in families
    }


def sample_names(registry: CollectorRegistry | None = None) -> frozenset[str]:
    """Every series name the service can expose (what a PromQL selector may name)."""
    families = (registry or Metrics().registry).collect()
    return frozenset(f.name + suffix for f in families for suffix in _SUFFIXES[f.type])

"""The Grafana dashboard: the economy (plays, payments, revenue, patrons, auctions) and the
service (traffic, errors, latency, indexer, chain, database, cache, disk), one panel per query,
all on the service's own families."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mycelix import __version__


@dataclass(frozen=True)
class Panel:
    title: str
    expr: str
    legend: str = ""
    unit: str = "short"
    kind: str = "timeseries"


BUSINESS: tuple[Panel, ...] = (
    Panel(
        "Plays per hour by strategy",
        "sum by (strategy) (increase(mycelix_plays_total[1h]))",
        "{{strategy}}",
    ),
    Panel(
        "Payments per hour by strategy and type",
        "sum by (strategy, type) (increase(mycelix_payments_total[1h]))",
        "{{strategy}} {{type}}",
    ),
    Panel(
        "Revenue per hour (FLOW) by strategy",
        "sum by (strategy) (increase(mycelix_revenue_flow_total[1h]))",
        "{{strategy}}",
    ),
    Panel(
        "Protocol fees per hour (FLOW)",
        "sum(increase(mycelix_protocol_fees_flow_total[1h]))",
        "fees",
    ),
    Panel(
        "Withdrawals per hour (FLOW)",
        "sum(increase(mycelix_withdrawals_flow_total[1h]))",
        "withdrawn",
    ),
    Panel(
        "Songs registered by strategy",
        "sum by (strategy) (mycelix_songs_registered_total)",
        "{{strategy}}",
        kind="stat",
    ),
    Panel(
        "Patronage joins and renewals per day",
        "sum by (kind) (increase(mycelix_patronage_payments_total[1d]))",
        "{{kind}}",
    ),
    Panel(
        "Auction slots sold per day", "sum(increase(mycelix_auction_slots_sold_total[1d]))", "slots"
    ),
    Panel("CGC gift credits minted per day", "sum(increase(mycelix_cgc_minted_total[1d]))", "CGC"),
    Panel(
        "Uploads per hour by kind and outcome",
        "sum by (kind, outcome) (increase(mycelix_uploads_total[1h]))",
        "{{kind}} {{outcome}}",
    ),
    Panel(
        "Streams served per second by status",
        "sum by (status) (rate(mycelix_streams_total[5m]))",
        "{{status}}",
        "reqps",
    ),
    Panel(
        "Streams refused per hour by reason",
        "sum by (reason) (increase(mycelix_stream_denied_total[1h]))",
        "{{reason}}",
    ),
    Panel(
        "Sign-ins per hour by outcome",
        "sum by (outcome) (increase(mycelix_siwe_logins_total[1h]))",
        "{{outcome}}",
    ),
    Panel(
        "Wallet transactions prepared per hour",
        "sum by (action) (increase(mycelix_prepared_transactions_total[1h]))",
        "{{action}}",
    ),
)

SERVICE: tuple[Panel, ...] = (
    Panel(
        "Requests per second by route",
        "sum by (route) (rate(mycelix_http_requests_total[5m]))",
        "{{route}}",
        "reqps",
    ),
    Panel(
        "Answers per second by status",
        "sum by (status) (rate(mycelix_http_requests_total[5m]))",
        "{{status}}",
        "reqps",
    ),
    Panel(
        "Error answers per second by code",
        "sum by (code) (rate(mycelix_http_errors_total[5m]))",
        "{{code}}",
        "reqps",
    ),
    Panel(
        "p95 latency by route",
        "histogram_quantile(0.95, sum by (le, route) "
        "(rate(mycelix_http_request_duration_seconds_bucket[5m])))",
        "{{route}}",
        "s",
    ),
    Panel("Requests in flight", "sum(mycelix_http_requests_in_flight)", "in flight"),
    Panel(
        "Rate-limited requests per second",
        "sum by (route) (rate(mycelix_rate_limited_total[5m]))",
        "{{route}}",
        "reqps",
    ),
    Panel("Indexer lag (blocks)", "max(mycelix_indexer_lag_blocks)", "lag"),
    Panel("Chain head block", "max(mycelix_chain_head_block)", "chain"),
    Panel("Indexer head block", "max(mycelix_indexer_head_block)", "indexer"),
    Panel(
        "Chain RPC p95 latency by method",
        "histogram_quantile(0.95, sum by (le, method) "
        "(rate(mycelix_chain_rpc_duration_seconds_bucket[5m])))",
        "{{method}}",
        "s",
    ),
    Panel(
        "Chain RPC errors per second by method",
        "sum by (method) (rate(mycelix_chain_rpc_errors_total[5m]))",
        "{{method}}",
        "reqps",
    ),
    Panel(
        "Database p95 latency by operation",
        "histogram_quantile(0.95, sum by (le, operation) "
        "(rate(mycelix_db_query_duration_seconds_bucket[5m])))",
        "{{operation}}",
        "s",
    ),
    Panel(
        "Cache hit ratio by cache",
        'sum by (cache) (rate(mycelix_cache_requests_total{result="hit"}[5m]))'
        " / sum by (cache) (rate(mycelix_cache_requests_total[5m]))",
        "{{cache}}",
        "percentunit",
    ),
    Panel(
        "Data directory disk free",
        "min(mycelix_data_dir_free_bytes / mycelix_data_dir_size_bytes)",
        "free",
        "percentunit",
    ),
    Panel("Build", "max by (version) (mycelix_build_info)", "{{version}}", kind="stat"),
)

PANELS: tuple[Panel, ...] = BUSINESS + SERVICE


def _panel(panel_id: int, panel: Panel, x: int, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {
                "refId": "A",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": panel.expr,
                "legendFormat": panel.legend or "__auto",
            }
        ],
    }


def dashboard() -> dict[str, Any]:
    """A Grafana dashboard (importable; pick the Prometheus data source on import)."""
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for row_title, group in (("Economy", BUSINESS), ("Service", SERVICE)):
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        for i, panel in enumerate(group):
            panels.append(_panel(next_id, panel, 12 * (i % 2), y + 8 * (i // 2)))
            next_id += 1
        y += 8 * ((len(group) + 1) // 2)
    return {
        "uid": "mycelix-overview",
        "title": "Mycelix Music",
        "tags": ["mycelix"],
        "description": f"Written by mycelix monitor {__version__}",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                }
            ]
        },
        "panels": panels,
    }

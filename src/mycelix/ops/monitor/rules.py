"""Alert rules on the service's own metric families (docs/metrics.md), each with the promtool
unit test that shows it firing and staying quiet.

Every expression names only series the service exposes, plus `up`, which Prometheus itself
records for every scrape of the `mycelix` job (a test checks this against the registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JOB = "mycelix"
# Payment actions a wallet asks the API to prepare (POST /api/tx/{action}).
PAYMENT_ROUTES = "/api/tx/(pay|stream|tip|batch|become_patron|buy_slot)"
# Routes whose duration is the body's transfer time, not the service's work.
BULK_ROUTES = ".*/audio|/api/content/.*|/api/uploads.*"
# Not the API's latency: the bulk transfers above, and Prometheus's own scrape (it has
# `scrape_duration_seconds`; on a loaded host a render can pass 500 ms with no user waiting).
SLOW_EXCLUDED = f"{BULK_ROUTES}|/metrics"
# A reverted eth_call/eth_estimateGas is the contract saying no, not the node failing.
CALL_METHODS = "eth_call|eth_estimateGas"

Series = tuple[str, str]  # (series selector with labels, promtool values notation)


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    firing: tuple[Series, ...]
    quiet: tuple[Series, ...]
    # Labels the firing alert carries besides alertname and severity.
    labels: dict[str, str] = field(default_factory=dict)

    def rule(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity},
            "annotations": {"summary": self.summary, "description": self.description},
        }

    def unit_tests(self, eval_time: str = "20m") -> list[dict[str, Any]]:
        def case(series: tuple[Series, ...], fires: bool) -> dict[str, Any]:
            expected = (
                [
                    {
                        "exp_labels": {"severity": self.severity, **self.labels},
                        "exp_annotations": {
                            "summary": self.summary,
                            "description": self.description,
                        },
                    }
                ]
                if fires
                else []
            )
            return {
                "name": f"{self.name} {'fires' if fires else 'stays quiet'}",
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in series],
                "alert_rule_test": [
                    {"eval_time": eval_time, "alertname": self.name, "exp_alerts": expected}
                ],
            }

        return [case(self.firing, True), case(self.quiet, False)]


def _requests(status: str, values: str, route: str = "/api/songs", method: str = "GET") -> Series:
    return (
        f'mycelix_http_requests_total{{method="{method}",route="{route}",status="{status}"}}',
        values,
    )


def _latency(le: str, values: str) -> Series:
    return (
        f'mycelix_http_request_duration_seconds_bucket{{method="GET",route="/api/songs",le="{le}"}}',
        values,
    )


ALERTS: tuple[Alert, ...] = (
    Alert(
        name="MycelixDown",
        expr=f'up{{job="{JOB}"}} == 0',
        for_="2m",
        severity="critical",
        summary="The Mycelix API does not answer Prometheus's scrapes.",
        description="GET /metrics failed for 2 minutes: the process is down or unreachable.",
        firing=((f'up{{job="{JOB}",instance="api:8000"}}', "0x30"),),
        quiet=((f'up{{job="{JOB}",instance="api:8000"}}', "1x30"),),
        labels={"job": JOB, "instance": "api:8000"},
    ),
    Alert(
        name="MycelixHighErrorRate",
        expr=(
            'sum(rate(mycelix_http_requests_total{status=~"5.."}[5m]))'
            " / sum(rate(mycelix_http_requests_total[5m])) > 0.05"
        ),
        for_="5m",
        severity="critical",
        summary="Over 5% of API requests end in a server error.",
        description="5xx answers over the last 5 minutes; the logs and /ready say which "
        "dependency fails.",
        firing=(_requests("500", "0+60x30"), _requests("200", "0+600x30")),
        quiet=(_requests("500", "0+6x30"), _requests("200", "0+600x30")),
    ),
    Alert(
        name="MycelixSlowRequests",
        expr=(
            "histogram_quantile(0.95, sum by (le) (rate("
            f'mycelix_http_request_duration_seconds_bucket{{route!~"{SLOW_EXCLUDED}"}}[5m]'
            "))) > 0.5"
        ),
        for_="10m",
        severity="warning",
        summary="API p95 latency is over 500 ms.",
        description="The 95th percentile of request time (audio, content, uploads and the "
        "metrics scrape excluded) "
        "has been over 500 ms for 10 minutes.",
        firing=(
            _latency("0.1", "0+0x30"),
            _latency("0.5", "0+0x30"),
            _latency("1", "0+60x30"),
            _latency("+Inf", "0+60x30"),
        ),
        quiet=(
            _latency("0.1", "0+60x30"),
            _latency("0.5", "0+60x30"),
            _latency("1", "0+60x30"),
            _latency("+Inf", "0+60x30"),
        ),
    ),
    Alert(
        name="MycelixIndexerLagging",
        expr="max(mycelix_indexer_lag_blocks) > 20",
        for_="10m",
        severity="warning",
        summary="The indexer is more than 20 blocks behind the chain.",
        description="Balances, plays and earnings in the API are stale; check the indexer's "
        "logs and the chain RPC.",
        firing=(("mycelix_indexer_lag_blocks", "50x30"),),
        quiet=(("mycelix_indexer_lag_blocks", "2x30"),),
    ),
    Alert(
        name="MycelixChainRpcErrors",
        expr=(
            f'sum(rate(mycelix_chain_rpc_errors_total{{method!~"{CALL_METHODS}"}}[5m]))'
            " / sum(rate(mycelix_chain_rpc_duration_seconds_count"
            f'{{method!~"{CALL_METHODS}"}}[5m])) > 0.05'
        ),
        for_="5m",
        severity="critical",
        summary="Over 5% of chain JSON-RPC requests fail.",
        description="The chain node errs or is unreachable (reverted calls are not counted).",
        firing=(
            ('mycelix_chain_rpc_errors_total{method="eth_blockNumber"}', "0+30x30"),
            ('mycelix_chain_rpc_duration_seconds_count{method="eth_blockNumber"}', "0+60x30"),
        ),
        quiet=(
            ('mycelix_chain_rpc_errors_total{method="eth_blockNumber"}', "0+0x30"),
            ('mycelix_chain_rpc_duration_seconds_count{method="eth_blockNumber"}', "0+60x30"),
        ),
    ),
    Alert(
        name="MycelixPaymentFailures",
        expr=(
            f'sum(rate(mycelix_http_errors_total{{route=~"{PAYMENT_ROUTES}"}}[10m]))'
            f' / sum(rate(mycelix_http_requests_total{{route=~"{PAYMENT_ROUTES}"}}[10m])) > 0.1'
        ),
        for_="10m",
        severity="warning",
        summary="Over 10% of payments cannot be prepared.",
        description="POST /api/tx/{pay,stream,tip,batch,become_patron,buy_slot} answer with "
        "errors (mostly contract_revert: the payment would fail on chain).",
        firing=(
            (
                'mycelix_http_errors_total{route="/api/tx/stream",code="contract_revert"}',
                "0+30x30",
            ),
            _requests("409", "0+30x30", route="/api/tx/stream", method="POST"),
            _requests("200", "0+30x30", route="/api/tx/stream", method="POST"),
        ),
        quiet=(
            (
                'mycelix_http_errors_total{route="/api/tx/stream",code="contract_revert"}',
                "0+1x30",
            ),
            _requests("409", "0+1x30", route="/api/tx/stream", method="POST"),
            _requests("200", "0+60x30", route="/api/tx/stream", method="POST"),
        ),
    ),
    Alert(
        name="MycelixDiskLow",
        expr="mycelix_data_dir_free_bytes / mycelix_data_dir_size_bytes < 0.1",
        for_="5m",
        severity="critical",
        summary="Less than 10% of the data directory's disk is free.",
        description="The chain, content store and SQLite catalogue live there; free space or "
        "grow the volume before writes fail.",
        firing=(("mycelix_data_dir_free_bytes", "5x30"), ("mycelix_data_dir_size_bytes", "100x30")),
        quiet=(("mycelix_data_dir_free_bytes", "50x30"), ("mycelix_data_dir_size_bytes", "100x30")),
    ),
)


def rule_file() -> dict[str, Any]:
    return {"groups": [{"name": "mycelix", "rules": [a.rule() for a in ALERTS]}]}


def unit_test_file(rule_file_name: str) -> dict[str, Any]:
    return {
        "rule_files": [rule_file_name],
        "evaluation_interval": "1m",
        "tests": [case for alert in ALERTS for case in alert.unit_tests()],
    }

"""`mycelix monitor`: Prometheus, Alertmanager and Grafana configuration for a deployment.

Files written (see docs/operations.md):
    prometheus.yml          scrape the API's /metrics, load the rules, send to Alertmanager
    alerts.yml              alert rules (rules.py)
    alerts.test.yml         `promtool test rules alerts.test.yml`: each alert firing and quiet
    alertmanager.yml        one route tree: critical alerts repeat hourly, warnings every 4 h
    grafana-dashboard.json  economy and service panels (dashboard.py)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mycelix.ops.monitor.dashboard import PANELS, dashboard
from mycelix.ops.monitor.rules import ALERTS, JOB, rule_file, unit_test_file

__all__ = ["ALERTS", "FILES", "PANELS", "MonitorError", "MonitorOptions", "write_monitoring"]

RULES = "alerts.yml"
RULE_TESTS = "alerts.test.yml"
FILES = ("prometheus.yml", RULES, RULE_TESTS, "alertmanager.yml", "grafana-dashboard.json")
_TARGET = re.compile(r"^[A-Za-z0-9.\-_\[\]:]+:[0-9]{1,5}$")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h)$")


class MonitorError(ValueError):
    """Options that would write a configuration Prometheus refuses."""


@dataclass(frozen=True)
class MonitorOptions:
    targets: tuple[str, ...] = ("127.0.0.1:8000",)
    alertmanager: str = "127.0.0.1:9093"
    scrape_interval: str = "15s"
    webhook_url: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        for target in (*self.targets, self.alertmanager):
            if not _TARGET.match(target):
                raise MonitorError(f"{target!r} is not HOST:PORT")
        if not self.targets:
            raise MonitorError("at least one --target is needed")
        if not _DURATION.match(self.scrape_interval):
            raise MonitorError(f"--scrape-interval {self.scrape_interval!r} is not like 15s or 1m")
        if self.webhook_url is not None and not re.match(r"^https?://", self.webhook_url):
            raise MonitorError(f"--webhook-url {self.webhook_url!r} is not an http(s) URL")


def prometheus_config(options: MonitorOptions) -> dict[str, Any]:
    return {
        "global": {
            "scrape_interval": options.scrape_interval,
            "evaluation_interval": options.scrape_interval,
            **({"external_labels": dict(options.labels)} if options.labels else {}),
        },
        "rule_files": [RULES],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [options.alertmanager]}]}]},
        "scrape_configs": [
            {
                "job_name": JOB,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": list(options.targets)}],
            }
        ],
    }


def alertmanager_config(options: MonitorOptions) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": "operators"}
    if options.webhook_url:
        receiver["webhook_configs"] = [{"url": options.webhook_url, "send_resolved": True}]
    return {
        "route": {
            "receiver": "operators",
            "group_by": ["alertname"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "matchers": ['severity="critical"'],
                    "receiver": "operators",
                    "repeat_interval": "1h",
                }
            ],
        },
        # A critical alert makes its warning twin redundant.
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname"],
            }
        ],
        "receivers": [receiver],
    }


def _yaml(data: dict[str, Any], header: str) -> str:
    return header + yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)


def write_monitoring(out: Path, options: MonitorOptions) -> list[Path]:
    """Write every file into `out` (created if needed); returns the paths written."""
    options.validate()
    out.mkdir(parents=True, exist_ok=True)
    note = "# Written by `mycelix monitor`; docs/operations.md explains each part.\n"
    hook = (
        ""
        if options.webhook_url
        else "# No --webhook-url was given: alerts are grouped but sent nowhere until a\n"
        "# receiver (webhook, email, Slack...) is added to `operators` below.\n"
    )
    contents = {
        "prometheus.yml": _yaml(prometheus_config(options), note),
        RULES: _yaml(rule_file(), note),
        RULE_TESTS: _yaml(
            unit_test_file(RULES), note + "# Run: promtool test rules alerts.test.yml\n"
        ),
        "alertmanager.yml": _yaml(alertmanager_config(options), note + hook),
        "grafana-dashboard.json": json.dumps(dashboard(), indent=2) + "\n",
    }
    written = []
    for name in FILES:
        path = out / name
        path.write_text(contents[name])
        written.append(path)
    return written

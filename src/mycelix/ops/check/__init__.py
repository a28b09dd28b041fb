"""`mycelix check`: post-deployment verification in seven stages.

Every stage runs whatever happened before it (the earlier attempt stopped at its first failure
and printed no summary); an error inside a stage becomes a failed probe of that stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mycelix.ops.check.model import CheckReport, Probe, StageResult, Status
from mycelix.ops.check.stages import STAGES, CheckContext

__all__ = ["STAGES", "CheckContext", "CheckReport", "Probe", "StageResult", "Status", "run_check"]


def run_check(
    ctx: CheckContext, on_stage: Callable[[StageResult], None] | None = None
) -> CheckReport:
    results: list[StageResult] = []
    try:
        for number, (name, stage) in enumerate(STAGES, start=1):
            result = StageResult(number, name)
            start = time.perf_counter()
            try:
                for probe in stage(ctx):
                    result.probes.append(probe)
            except Exception as exc:
                result.probes.append(
                    Probe.fail("error", f"{type(exc).__name__}: {exc}".strip(": "))
                )
            result.seconds = time.perf_counter() - start
            results.append(result)
            if on_stage is not None:
                on_stage(result)
    finally:
        ctx.close()
    return CheckReport(ctx.api_url, results)

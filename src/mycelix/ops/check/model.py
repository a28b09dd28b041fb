"""What `mycelix check` reports: stages made of probes, each passing, failing or skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Probe:
    """One verified fact (or the reason it could not be verified)."""

    name: str
    status: Status
    detail: str = ""

    @classmethod
    def ok(cls, name: str, detail: str = "") -> Probe:
        return cls(name, Status.PASS, detail)

    @classmethod
    def fail(cls, name: str, detail: str) -> Probe:
        return cls(name, Status.FAIL, detail)

    @classmethod
    def skip(cls, name: str, detail: str) -> Probe:
        return cls(name, Status.SKIP, detail)

    @classmethod
    def expect(cls, name: str, ok: bool, detail: str) -> Probe:
        return cls(name, Status.PASS if ok else Status.FAIL, detail)


@dataclass
class StageResult:
    number: int
    name: str
    probes: list[Probe] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        if any(p.status is Status.FAIL for p in self.probes):
            return Status.FAIL
        if self.probes and all(p.status is Status.SKIP for p in self.probes):
            return Status.SKIP
        # A stage that verified nothing has not passed.
        return Status.PASS if self.probes else Status.FAIL

    @property
    def summary(self) -> str:
        failed = [p for p in self.probes if p.status is Status.FAIL]
        if failed:
            return "; ".join(f"{p.name}: {p.detail}" for p in failed)
        passed = sum(p.status is Status.PASS for p in self.probes)
        skipped = sum(p.status is Status.SKIP for p in self.probes)
        return f"{passed} passed" + (f", {skipped} skipped" if skipped else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.number,
            "name": self.name,
            "status": self.status.value,
            "seconds": round(self.seconds, 3),
            "probes": [
                {"name": p.name, "status": p.status.value, "detail": p.detail} for p in self.probes
            ],
        }


@dataclass
class CheckReport:
    target: str
    stages: list[StageResult]

    @property
    def ok(self) -> bool:
        return all(s.status is not Status.FAIL for s in self.stages)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.ok,
            "failed": [s.name for s in self.stages if s.status is Status.FAIL],
            "stages": [s.to_json() for s in self.stages],
        }

"""What `mycelix security` reports: per check, whether it ran, and its findings by severity."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

# Every check, in the order they run.
CHECKS = (
    "dependencies",
    "bandit",
    "secrets",
    "contract compiler",
    "contract conventions",
    "configuration",
)


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {names})") from None

    def __str__(self) -> str:
        return self.name.lower()


class Ran(StrEnum):
    CHECKED = "checked"
    NOT_CHECKED = "not checked"  # the tool or its data was unavailable: say why, never guess


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str
    location: str = ""

    def to_json(self) -> dict[str, str]:
        return {"severity": str(self.severity), "message": self.message, "location": self.location}


@dataclass
class Outcome:
    check: str
    ran: Ran = Ran.CHECKED
    findings: list[Finding] = field(default_factory=list)
    note: str = ""

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "ran": self.ran.value,
            "note": self.note,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass
class SecurityReport:
    outcomes: list[Outcome]
    fail_on: Severity

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [f for o in self.outcomes for f in o.findings if f.severity >= severity]

    @property
    def ok(self) -> bool:
        return not self.at_or_above(self.fail_on)

    def to_json(self) -> dict[str, Any]:
        counts = {str(s): 0 for s in Severity}
        for o in self.outcomes:
            for f in o.findings:
                counts[str(f.severity)] += 1
        return {
            "ok": self.ok,
            "fail_on": str(self.fail_on),
            "counts": counts,
            "not_checked": [o.check for o in self.outcomes if o.ran is Ran.NOT_CHECKED],
            "checks": [o.to_json() for o in self.outcomes],
        }

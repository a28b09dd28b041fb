"""Skip a test whose server or tool is missing, with the reason — or fail it when the run must
cover it: ``MYCELIX_REQUIRE_<NAME>=1`` (CI sets POSTGRES, REDIS and ANVIL; see .ci/run)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from tests.support.anvil import anvil_binary

NAMES = {"POSTGRES": "PostgreSQL", "REDIS": "Redis", "ANVIL": "anvil"}


def required(name: str) -> bool:
    return os.environ.get(f"MYCELIX_REQUIRE_{name}") == "1"


def unavailable(name: str, reason: str) -> NoReturn:
    if required(name):
        pytest.fail(f"{NAMES[name]} required (MYCELIX_REQUIRE_{name}=1) but unavailable: {reason}")
    pytest.skip(f"{NAMES[name]} unavailable: {reason}")


def require_anvil() -> None:
    if anvil_binary() is None:
        unavailable("ANVIL", "anvil is not installed: run `./dev test`, which installs it with npm")

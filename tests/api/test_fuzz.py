"""Schemathesis over /openapi.json: generated requests to every operation, signed in and not,
never get a 5xx. (Driven directly through each operation's hypothesis strategy: schemathesis's
own pytest plugin does not coexist with titanoboa's.)"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from mycelix.api.app import create_app
from mycelix.platform import Platform

from .conftest import open_platform, sign_in

EXAMPLES = int(os.environ.get("MYCELIX_FUZZ_EXAMPLES", "25"))  # per operation; more for a deep run


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    platform: Platform = open_platform(tmp_path_factory.mktemp("fuzz"))
    app = create_app(platform)
    with TestClient(app) as client:
        headers = sign_in(client, platform.chain.dev_accounts[1])
    yield schemathesis.openapi.from_asgi("/openapi.json", app), headers
    platform.close()


def test_no_operation_answers_5xx(fuzz_target: tuple[Any, dict[str, str]]) -> None:
    schema, headers = fuzz_target
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            for extra in ({}, headers):
                response = case.call(headers={**(case.headers or {}), **extra})
                if response.status_code >= 500:
                    where = f"{case.method} {case.formatted_path}"
                    failures.append(f"{where} -> {response.status_code}: {response.text[:300]}")
                    raise AssertionError(failures[-1])

        with contextlib.suppress(AssertionError):
            run()
    assert not failures, "\n".join(failures)

"""The layering the README describes, checked on the source: services raise domain errors (only
the API layer knows `APIError`), callers reach content through the `ContentStore` protocol, and
test-only helpers stay out of the installed package."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mycelix"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _is_api_layer(path: Path) -> bool:
    relative = path.relative_to(PACKAGE)
    # The web app's pages and dev wallet are endpoints too (HTML and JSON at the boundary).
    return relative.parts[0] in ("api", "web") or relative.stem in ("endpoints", "endpoint")


def test_only_the_api_layer_raises_api_errors() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if not _is_api_layer(path) and "APIError" in path.read_text()
    ]
    assert offenders == [], f"services must raise mycelix.errors, not APIError: {offenders}"


def test_callers_use_the_content_store_protocol() -> None:
    reach_in = re.compile(r"\.store\.(path|root|objects_dir|tmp_dir)\b")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if path.parent.name != "storage" and reach_in.search(path.read_text())
    ]
    assert offenders == [], f"use ContentStore methods, not the local store's paths: {offenders}"


def test_test_helpers_are_not_in_the_package() -> None:
    assert not (PACKAGE / "storage" / "fixtures.py").exists()
    assert not (PACKAGE / "chain" / "anvil.py").exists()
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if re.search(r"^\s*(from|import) tests\b", path.read_text(), re.MULTILINE)
    ]
    assert offenders == [], f"the installed package cannot import tests: {offenders}"

from __future__ import annotations

from pathlib import Path

import pytest

from mycelix.storage import LocalContentStore


@pytest.fixture
def store(tmp_path: Path) -> LocalContentStore:
    return LocalContentStore(tmp_path / "content")

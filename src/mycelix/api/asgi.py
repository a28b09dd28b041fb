"""ASGI factory for multi-worker serving (`mycelix serve --workers N` runs it with Granian): each
worker builds its own platform from `MYCELIX_*` variables, without an indexer (run
`mycelix indexer run` once, separately)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from mycelix.api.app import create_app
from mycelix.config import Settings
from mycelix.platform import Platform


def create() -> FastAPI:
    platform = Platform.open(Settings(), deploy=False)
    app = create_app(platform)
    # Long-lived objects out of the collector's sight: full passes over them cost ~85 ms
    # and were most of the warm p99 (bench/README.md).
    gc.freeze()
    return app

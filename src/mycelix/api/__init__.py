"""The HTTP API (FastAPI): the composition root builds it from a `Platform`."""

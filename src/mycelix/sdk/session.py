"""Opening a client from settings: connect to the chain, read (or create) the deployment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mycelix.chain.connect import Chain, open_chain
from mycelix.chain.deploy import ensure_deployed
from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.sdk.client import Mycelix


@contextmanager
def connect(
    settings: Settings | None = None, *, deploy: bool = False
) -> Iterator[tuple[Mycelix, Chain]]:
    """Yield a client for the settings' signer and the open chain; close the chain after.

    With `deploy=True` a missing deployment is created (dev chains); otherwise the manifest
    must exist. Either way it is verified against the chain.
    """
    settings = settings or Settings()
    chain = open_chain(settings)
    try:
        if deploy:
            manifest, _ = ensure_deployed(chain, settings)
        else:
            manifest = Manifest.load(settings.manifest_path)
            manifest.verify(chain.w3)
        yield Mycelix(chain.w3, manifest, chain.signer), chain
    finally:
        chain.close()

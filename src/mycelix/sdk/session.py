"""Opening a client from settings: connect to the chain, read (or create) the deployment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mycelix.chain.connect import Chain, open_chain
from mycelix.chain.deploy import ensure_deployed
from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.sdk.client import DEFAULT_MAX_PAYMENT, Mycelix
from mycelix.sdk.types import Amount


@contextmanager
def connect(
    settings: Settings | None = None,
    *,
    deploy: bool = False,
    max_payment: Amount = DEFAULT_MAX_PAYMENT,
) -> Iterator[tuple[Mycelix, Chain]]:
    """Yield a client for the settings' signer and the open chain; close the chain after.

    With `deploy=True` a missing deployment is created (dev chains); otherwise the manifest
    must exist. Either way it is verified against the chain. `max_payment` is the client's
    (and its `as_account` clients') most a play or patronage fee may cost when a call names
    no maximum.
    """
    settings = settings or Settings()
    chain = open_chain(settings)
    try:
        if deploy:
            manifest, _ = ensure_deployed(chain, settings)
        else:
            manifest = Manifest.load(settings.manifest_path)
            manifest.verify(chain.w3)
        yield Mycelix(chain.w3, manifest, chain.signer, max_payment=max_payment), chain
    finally:
        chain.close()

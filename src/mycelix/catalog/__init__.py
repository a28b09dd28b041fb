"""The catalogue: what the platform knows off chain (artists, songs, uploads, analytics)
and what the indexer learned from the chain (payments, credits, plays, patrons, auctions).

`db.Catalog` opens it, `migrate.migrate` creates or upgrades it, `repositories` hold every
SQL statement; see models.py for the schema and types.py for how values are stored.
"""

from .db import Catalog, create_engine
from .migrate import migrate

__all__ = ["Catalog", "create_engine", "migrate"]

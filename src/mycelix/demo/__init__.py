"""`mycelix demo`: a realistic economy on a dev chain.

Four acts release songs under every strategy — generated recordings and covers, uploaded
through the platform's upload path so they are listed and play — a seeded crowd of listeners
streams, tips, joins patronages and buys auction slots over several weeks of chain time, some
collaborators withdraw, and at the end every credited unit is replayed from the chain's events and
checked against the contracts' state (see `ledger`).

Modules: `cast` (who takes part, their keys and money), `catalogue` (the songs and their economics),
`media` (their recordings and covers), `publish` (upload, describe, register), `first_start` (what
`mycelix serve` seeds on an empty data directory), `simulate` (the seeded day-by-day behaviour),
`ledger` (event replay and the conservation checks), `report` (Rich tables) and `runner` (puts them
together).
"""

from mycelix.demo.runner import DemoOptions, run_demo

__all__ = ["DemoOptions", "run_demo"]

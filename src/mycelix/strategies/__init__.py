"""Economic strategies, one folder each (`<snake_name>/`: its Vyper contract and its `STRATEGY`,
see `protocol.Strategy`), found by `registry`; plus what all of them share: the API's catalogue,
split previews and earnings calculator (`endpoints`, `service`, `schemas`). Nothing outside a
strategy's folder names it (tests/strategies/test_seam.py)."""

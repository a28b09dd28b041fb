"""Economic strategies: each one a Vyper contract plus its Python adapter, found through one registry."""

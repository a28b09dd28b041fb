"""Economic strategies: each a Vyper contract plus its Python adapter, in one registry."""

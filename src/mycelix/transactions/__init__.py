"""Wallet-ready transactions: the API encodes on-chain actions, the browser wallet sends them."""

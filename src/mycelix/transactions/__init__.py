"""Wallet-ready transactions: the API encodes every on-chain action; the browser's wallet sends it."""

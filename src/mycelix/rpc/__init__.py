"""The embedded chain as standard Ethereum JSON-RPC (`POST /rpc`), the network description
wallets need (`GET /api/network`), and the way the CLI reaches a chain a running server holds
(`mycelix.rpc.served`)."""

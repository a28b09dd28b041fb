"""Sign-In with Ethereum (EIP-4361): single-use nonces, signed messages, sessions."""

"""State that several API replicas must share: sign-in nonces, sessions, rate-limit counters."""

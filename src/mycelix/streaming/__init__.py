"""Streaming: audio with HTTP ranges, gated by what the chain authorises."""

"""Shared state behind one small Protocol: in-process for one machine, Redis for many replicas.

Nonces are single-use (consumed atomically), sessions expire, and rate limits count requests
per key in fixed windows — the same semantics in both backends, so tests run against both.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, Protocol, TypeVar

import redis

from mycelix.errors import Unavailable

P = ParamSpec("P")
R = TypeVar("R")


class SharedState(Protocol):
    def put_nonce(self, nonce: str, ttl: int) -> None: ...

    def take_nonce(self, nonce: str) -> bool:
        """True exactly once for an issued, unexpired nonce."""
        ...

    def put_session(self, token: str, address: str, ttl: int) -> None: ...

    def get_session(self, token: str) -> str | None: ...

    def drop_session(self, token: str) -> None: ...

    def hit(self, key: str, limit: int, window: int) -> tuple[bool, int]:
        """Count one request; (allowed, seconds until the window resets)."""
        ...

    def ping(self) -> None:
        """Raise if the backend is unreachable."""
        ...


class MemoryState:
    """One process's state (the embedded default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._nonces: dict[str, float] = {}
        self._sessions: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, tuple[int, int]] = {}

    def put_nonce(self, nonce: str, ttl: int) -> None:
        with self._lock:
            self._expire()
            self._nonces[nonce] = self._clock() + ttl

    def take_nonce(self, nonce: str) -> bool:
        with self._lock:
            expiry = self._nonces.pop(nonce, None)
            return expiry is not None and expiry > self._clock()

    def put_session(self, token: str, address: str, ttl: int) -> None:
        with self._lock:
            self._sessions[token] = (address, self._clock() + ttl)

    def get_session(self, token: str) -> str | None:
        with self._lock:
            found = self._sessions.get(token)
            if found is None or found[1] <= self._clock():
                self._sessions.pop(token, None)
                return None
            return found[0]

    def drop_session(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def hit(self, key: str, limit: int, window: int) -> tuple[bool, int]:
        now = self._clock()
        slot = int(now // window)
        with self._lock:
            current_slot, count = self._windows.get(key, (slot, 0))
            if current_slot != slot:
                count = 0
            count += 1
            self._windows[key] = (slot, count)
            if len(self._windows) > 100_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == slot}
        return count <= limit, max(1, int((slot + 1) * window - now))

    def ping(self) -> None:
        return None

    def _expire(self) -> None:
        if len(self._nonces) > 10_000:
            now = self._clock()
            self._nonces = {n: e for n, e in self._nonces.items() if e > now}


def _reachable(method: Callable[P, R]) -> Callable[P, R]:
    """Turn Redis being down into `Unavailable` (a 503 with the reason), not a 500."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise Unavailable(
                f"the shared state (Redis) cannot be reached: {exc}", "shared_state_unavailable"
            ) from exc

    return call


class RedisState:
    """State in Redis, shared by every replica pointed at the same server."""

    def __init__(self, url: str, prefix: str = "mycelix:") -> None:
        self._r = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._p = prefix

    @_reachable
    def put_nonce(self, nonce: str, ttl: int) -> None:
        self._r.set(f"{self._p}nonce:{nonce}", b"1", ex=ttl)

    @_reachable
    def take_nonce(self, nonce: str) -> bool:
        # GETDEL is atomic, so two replicas racing on one nonce cannot both succeed.
        return self._r.getdel(f"{self._p}nonce:{nonce}") is not None

    @_reachable
    def put_session(self, token: str, address: str, ttl: int) -> None:
        self._r.set(f"{self._p}session:{token}", address.encode(), ex=ttl)

    @_reachable
    def get_session(self, token: str) -> str | None:
        value = self._r.get(f"{self._p}session:{token}")
        return value.decode() if isinstance(value, bytes) else None

    @_reachable
    def drop_session(self, token: str) -> None:
        self._r.delete(f"{self._p}session:{token}")

    @_reachable
    def hit(self, key: str, limit: int, window: int) -> tuple[bool, int]:
        now = time.time()
        slot = int(now // window)
        name = f"{self._p}rate:{key}:{slot}"
        pipe = self._r.pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1, nx=True)
        count, _ = pipe.execute()
        return int(count) <= limit, max(1, int((slot + 1) * window - now))

    @_reachable
    def ping(self) -> None:
        self._r.ping()


def open_state(redis_url: str | None) -> SharedState:
    """Redis when a URL is configured, else in-process."""
    return RedisState(redis_url) if redis_url else MemoryState()

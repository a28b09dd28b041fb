"""The shared-state backends (`mycelix.shared.state`): one contract, run against the in-process
backend (on a controlled clock) and a real Redis (real seconds): single-use nonces, sessions,
fixed-window rate limits, and expiry of all three."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis

from mycelix.errors import Unavailable
from mycelix.shared.state import MemoryState, RedisState, SharedState, open_state

ADDRESS = "0x" + "ab" * 20


@dataclass
class Backend:
    state: SharedState
    advance: Callable[[float], None]
    prefix: str = ""


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.5

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        clock = Clock()
        yield Backend(MemoryState(clock=clock), clock.advance)
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"mycelix-test-{secrets.token_hex(4)}:"
    yield Backend(RedisState(url, prefix=prefix), time.sleep, prefix)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_a_nonce_is_taken_once(backend: Backend) -> None:
    state = backend.state
    state.put_nonce("n0nce001", ttl=60)
    assert state.take_nonce("n0nce001") is True
    assert state.take_nonce("n0nce001") is False
    assert state.take_nonce("neverissued") is False


def test_racing_replicas_take_a_nonce_once(backend: Backend) -> None:
    backend.state.put_nonce("raced001", ttl=60)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        results.append(backend.state.take_nonce("raced001"))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_sessions_are_kept_and_dropped(backend: Backend) -> None:
    state = backend.state
    state.put_session("token-a", ADDRESS, ttl=60)
    state.put_session("token-b", ADDRESS, ttl=60)
    assert state.get_session("token-a") == ADDRESS
    state.drop_session("token-a")
    assert state.get_session("token-a") is None
    assert state.get_session("token-b") == ADDRESS  # the other session is untouched
    state.drop_session("token-unknown")  # dropping what is not there is harmless
    assert state.get_session("token-unknown") is None


def test_nonces_and_sessions_expire(backend: Backend) -> None:
    state = backend.state
    state.put_nonce("short001", ttl=1)
    state.put_nonce("long0001", ttl=60)
    state.put_session("short", ADDRESS, ttl=1)
    state.put_session("long", ADDRESS, ttl=60)
    backend.advance(1.1)
    assert state.get_session("short") is None
    assert state.take_nonce("short001") is False
    assert state.get_session("long") == ADDRESS
    assert state.take_nonce("long0001") is True


def test_the_rate_limit_counts_per_key_in_a_window(backend: Backend) -> None:
    state = backend.state
    window = 1_000_000  # wide, so the real clock (Redis) does not cross a window mid-test
    results = [state.hit("auth:10.0.0.1", limit=3, window=window) for _ in range(5)]
    assert [allowed for allowed, _ in results] == [True, True, True, False, False]
    assert all(1 <= retry <= window for _, retry in results)
    assert state.hit("auth:10.0.0.2", limit=3, window=window)[0] is True  # another client
    assert state.hit("write:10.0.0.1", limit=3, window=window)[0] is True  # another bucket


def test_the_rate_limit_resets_with_the_next_window(backend: Backend) -> None:
    state = backend.state
    # Start just after a window boundary, so the three hits below share a window.
    wait = 1 - (time.time() % 1) + 0.02 if backend.prefix else 0.0
    backend.advance(wait)
    assert [state.hit("burst", limit=2, window=1)[0] for _ in range(3)] == [True, True, False]
    backend.advance(1.0)
    assert state.hit("burst", limit=2, window=1)[0] is True


def test_redis_windows_expire_with_their_window(redis_url: str) -> None:
    prefix = f"mycelix-test-{secrets.token_hex(4)}:"
    state = RedisState(redis_url, prefix=prefix)
    client = redis.Redis.from_url(redis_url)
    state.hit("k", limit=5, window=30)
    (name,) = list(client.scan_iter(f"{prefix}rate:k:*"))
    assert 0 < client.ttl(name) <= 31
    state.put_nonce("ttl00001", ttl=40)
    assert 0 < client.ttl(f"{prefix}nonce:ttl00001") <= 40
    client.delete(name, f"{prefix}nonce:ttl00001")


def test_ping_and_the_backend_choice(redis_url: str) -> None:
    assert isinstance(open_state(None), MemoryState)
    chosen = open_state(redis_url)
    assert isinstance(chosen, RedisState)
    chosen.ping()
    MemoryState().ping()
    down = RedisState("redis://127.0.0.1:1/0")
    # Every operation says the shared state is unreachable and where (the API answers 503).
    for call in (down.ping, lambda: down.put_nonce("anything", ttl=5), lambda: down.hit("k", 1, 1)):
        with pytest.raises(Unavailable, match=r"Redis\) cannot be reached.*127\.0\.0\.1:1\b"):
            call()


def test_memory_state_stays_bounded() -> None:
    """Expired nonces and old rate windows are pruned, so a flood cannot grow memory forever."""
    clock = Clock()
    state = MemoryState(clock=clock)
    for i in range(10_001):
        state.put_nonce(f"flood{i:06d}", ttl=1)
    clock.advance(2)
    state.put_nonce("fresh001", ttl=60)
    assert len(state._nonces) == 1
    assert state.take_nonce("fresh001") is True
    for i in range(100_001):
        state.hit(f"client{i}", limit=1, window=60)
    clock.advance(60)
    state.hit("next-window", limit=1, window=60)
    assert len(state._windows) == 1

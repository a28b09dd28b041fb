"""Who may stream a song now: the chain's `is_authorized`, or a recent paid play.

Answers are cached briefly (a player sends many range requests per play), and only for the
catalogue version they were computed under — the song read cache's version
(`mycelix.songs.cache`), which moves when the indexer commits payments, patronage or slots
(`songs_changed`, or any commit on SQLite): a listener whose payment was just indexed
streams at once instead of waiting out a cached refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

from mycelix.catalog.repositories import PaymentRepository
from mycelix.chain.units import PaymentType
from mycelix.platform import Platform
from mycelix.songs.cache import EXTRAS_KEY, SongCache
from mycelix.strategies import registry
from mycelix.vouchers import service as vouchers

STREAM_AUTH_KEY = "stream_auth"  # pragma: allowlist secret
PAID_PLAY_WINDOW = 30 * 60
CACHE_SECONDS = 15.0
ZERO = "0x" + "00" * 20


class StreamAccessCache(dict[tuple[str, str], tuple[float, bool, str]]):
    """(song, listener) -> (expires, allowed, reason), of one catalogue version."""

    def __init__(self, version: Hashable) -> None:
        super().__init__()
        self.version = version


def _cache(p: Platform) -> StreamAccessCache:
    songs = p.extras.get(EXTRAS_KEY)
    version = songs.version() if isinstance(songs, SongCache) else None
    cache = p.extras.get(STREAM_AUTH_KEY)
    if not isinstance(cache, StreamAccessCache) or cache.version != version:
        cache = p.extras[STREAM_AUTH_KEY] = StreamAccessCache(version)
    return cache


def cached_answer(p: Platform, song_id: str, who: str, now: float) -> bool | None:
    """The cached answer for `who` (ZERO: anyone not signed in) if there is a fresh one of the
    current catalogue version, else None (`mycelix.streaming.fastpath` asks without waiting)."""
    hit = _cache(p).get((song_id, who))
    if hit is None or hit[0] <= now:
        return None
    p.metrics.cache.labels("stream_auth", "hit").inc()
    return hit[1]


async def can_stream(
    p: Platform, song_id: str, listener: str | None, now: float
) -> tuple[bool, str, bool]:
    """(allowed, reason if not, whether the answer holds for everyone — i.e. cacheable publicly)."""
    cache = _cache(p)
    who = listener or ZERO
    hit = cache.get((song_id, who))
    if hit and hit[0] > now:
        p.metrics.cache.labels("stream_auth", "hit").inc()
        open_to_all = cache.get((song_id, ZERO))
        return hit[1], hit[2], bool(open_to_all and open_to_all[1])
    p.metrics.cache.labels("stream_auth", "miss").inc()
    strategy = await asyncio.to_thread(p.sdk.song_strategy, song_id)
    if strategy is None:
        result = (False, "unregistered")
    elif await _authorised_or_paid(p, song_id, who, listener):
        result = (True, "")
    else:
        result = (False, _reason(strategy))
    cache[(song_id, who)] = (now + CACHE_SECONDS, *result)
    if len(cache) > 50_000:
        cache.clear()
    public = who == ZERO and result[0]
    return result[0], result[1], public


async def _authorised_or_paid(p: Platform, song_id: str, who: str, listener: str | None) -> bool:
    if await asyncio.to_thread(p.sdk.is_authorized, song_id, who):
        return True
    return listener is not None and await asyncio.to_thread(_paid_recently, p, song_id, listener)


def _paid_recently(p: Platform, song_id: str, listener: str) -> bool:
    # Chain time, not wall time: dev chains travel in time, and payments carry block times.
    chain_now = p.chain.w3.eth.get_block("latest")["timestamp"]
    since = datetime.fromtimestamp(chain_now, UTC) - timedelta(seconds=PAID_PLAY_WINDOW)
    with p.catalog.read() as session:
        if PaymentRepository(session).paid_since(
            song_id, listener, since, [int(PaymentType.STREAM), int(PaymentType.ACCESS)]
        ):
            return True
    # A signed voucher the API queued is the payment too (it settles later); queue times are
    # wall-clock.
    recent = datetime.now(UTC) - timedelta(seconds=PAID_PLAY_WINDOW)
    return vouchers.played_since(p, song_id, listener, recent)


def _reason(strategy: str) -> str:
    known = registry.find(strategy)
    return "unpaid" if known is None else known.denial_reason

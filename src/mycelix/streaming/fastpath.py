"""A raw-ASGI fast path for the most common audio request: a whole-file range (`bytes=0-`, or
no range) of a song open to everyone, from a listener who is not signed in, on a server with
the path-send extension (Granian, what `mycelix serve` runs).

Such a request is answered before FastAPI routes anything, from what the audio route
(`mycelix.streaming.endpoints`) already learned: where the song's audio is (`song_audio`) and
the cached access answer for anyone (`mycelix.streaming.access`, unexpired, of the current
catalogue version). The access check still runs here, in Python; the bytes still never enter
it. On 2 cores the route's ~1 ms of routing, dependency injection and metrics per request
held the GIL that Granian's I/O thread needs to move the bytes: streaming ran at ~0.4× nginx.

Everything else goes through the app unchanged: a signed-in listener (the session lookup is
the app's), a gated song, another range, a conditional request, a song not streamed yet."""

from __future__ import annotations

import os
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mycelix.api.params import song_id_or_none
from mycelix.platform import Platform
from mycelix.storage import plan_response
from mycelix.streaming.access import ZERO, cached_answer
from mycelix.streaming.endpoints import AUDIO_MEMO, PATHSEND, PathSendResponse

PREFIX = "/api/songs/"
SUFFIX = "/audio"
TEMPLATE = "/api/songs/{song_id}/audio"
# Request headers that make the answer depend on more than the song: the app handles them.
PERSONAL = frozenset({b"authorization", b"if-range", b"if-none-match"})
WHOLE = (None, b"bytes=0-")


class AudioFastPath:
    def __init__(self, app: ASGIApp, platform: Platform) -> None:
        self.app = app
        self.platform = platform
        self._route: Any = None
        self.served = 0  # answered here, not by the app (tests and debugging)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.endswith(SUFFIX)
            or not path.startswith(PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        response = self._answer(scope) if self._route is not None else None
        if response is None:
            await self.app(scope, receive, send)
            route = scope.get("route")
            if self._route is None and getattr(route, "path", None) == TEMPLATE:
                self._route = route
            return
        self.served += 1
        scope["route"] = self._route  # counted under the route's template, like the app's
        await response(scope, receive, send)

    def _answer(self, scope: Scope) -> PathSendResponse | None:
        """The whole file by path-send, or None when the app must decide."""
        if PATHSEND not in scope.get("extensions", {}):
            return None
        range_header: bytes | None = None
        for name, value in scope.get("headers", ()):
            if name in PERSONAL or (name == b"cookie" and b"mycelix_session=" in value):
                return None
            if name == b"range":
                range_header = value
        if range_header not in WHOLE:
            return None
        song_id = song_id_or_none(scope["path"][len(PREFIX) : -len(SUFFIX)])
        if song_id is None:
            return None
        p = self.platform
        known = p.extras.get(AUDIO_MEMO, {}).get(song_id)  # only songs with audio are there
        if known is None:
            return None
        if cached_answer(p, song_id, ZERO, time.time()) is not True:
            return None
        cid, media_type = known
        path = p.store.local_path(cid)
        if path is None:
            return None
        try:
            size = os.stat(path).st_size
        except OSError:  # gone from the store: the app answers 404
            return None
        plan = plan_response(
            cid=cid,
            size=size,
            media_type=media_type or "application/octet-stream",
            range_header=None if range_header is None else range_header.decode("latin-1"),
            if_range=None,
            if_none_match=None,
            public=True,
        )
        if plan.body is None or plan.body.start != 0 or plan.body.end != size - 1:
            return None
        p.metrics.streams.labels(str(plan.status)).inc()
        p.metrics.stream_bytes.inc(size)
        return PathSendResponse(path, plan.status, plan.headers)

"""Middleware every request goes through: CORS, a per-client rate limit, a body size cap, Prometheus metrics.

All of it is pure ASGI: BaseHTTPMiddleware would buffer responses and break the streamed ones (chat completions).
Order, outermost first: metrics (sees every refusal below), CORS (answers preflights, and a 429 still carries the
CORS headers a browser needs to read it), rate limit (cheap, before any byte of the body is read), body size cap.
An exception raised in any of them reaches the app's generic 500 handler (Starlette's ServerErrorMiddleware wraps
all user middleware), so no trace is ever sent.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.metrics import install_metrics
from assistant.settings import Settings

RATE_LIMITED_PREFIXES = ("/v1/", "/kakao/")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the cap: FastAPI re-raises an HTTPException met while
    reading the body (anything else becomes a 400), and its handler turns it into the JSON 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes (ASSISTANT_MAX_BODY_BYTES)"


async def send_json(send: Send, status: int, content: dict, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """413 for a declared Content-Length over the cap before anything is read, and for a body (chunked, or longer
    than declared) that turns out larger while it is read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_json(send, 413, {"detail": too_large_message(self.max_bytes)}, {"Connection": "close"})
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge as exc:
            if started:  # the app had answered already: nothing left to tell the client
                raise
            await send_json(send, 413, {"detail": exc.detail}, {"Connection": "close"})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we are called
    return None


class RateLimit:
    """A token bucket per client address on the API routes: ``per_minute`` requests in a burst, then one every
    60/per_minute seconds. A bucket left alone for a minute is full again, so it is dropped: memory holds only
    the clients of the last minute, and at most ``max_clients`` of them."""

    def __init__(self, app: ASGIApp, per_minute: int, max_clients: int = 10_000) -> None:
        self.app = app
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.max_clients = max_clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, last seen)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(RATE_LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.take(client, time.monotonic())
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            await send_json(send, 429, {"detail": f"too many requests: the limit is {int(self.capacity)} per minute "
                                                  f"and client; retry in {retry_after} s"},
                            {"Retry-After": retry_after})
            return
        await self.app(scope, receive, send)

    def take(self, client: str, now: float) -> float:
        """Take a token for ``client``: 0 when it had one, else the seconds until it will."""
        self.evict_idle(now)
        tokens, seen = self.buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.refill_per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.refill_per_second
        self.buckets[client] = (tokens, now)  # at the end: the dict stays ordered by last request
        return wait

    def evict_idle(self, now: float) -> None:
        idle_after = self.capacity / self.refill_per_second  # a bucket is full again after this long
        while self.buckets:
            oldest, (_, seen) = next(iter(self.buckets.items()))
            if now - seen < idle_after and len(self.buckets) < self.max_clients:
                break
            del self.buckets[oldest]


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits and the metrics to the app (Starlette runs the middleware added last first)."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"],
                           max_age=600)
    install_metrics(app)

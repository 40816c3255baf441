"""Middleware every request goes through: CORS, rate limits, a body size cap and read timeout, Prometheus metrics.

All of it is pure ASGI: BaseHTTPMiddleware would buffer responses and break the streamed ones (chat completions).
Order, outermost first: metrics (sees every refusal below), CORS (answers preflights, and a 429 still carries the
CORS headers a browser needs to read it), rate limit (cheap, before any byte of the body is read), body limits.
An exception raised in any of them reaches the app's generic 500 handler (Starlette's ServerErrorMiddleware wraps
all user middleware), so no trace is ever sent.

The client address is the TCP peer, unless the peer is one of ``trusted_proxies``: then it is the address the
proxies recorded (``Forwarded: for=`` of RFC 7239, else ``X-Forwarded-For``), read from the right, the first one
that is not itself a trusted proxy; a client can put anything at the left of those headers, only what the trusted
proxies appended is believed. The server must hand over the raw peer: uvicorn rewrites ``scope["client"]`` from
X-Forwarded-For sent by 127.0.0.1 unless it runs with ``proxy_headers=False`` (or ``FORWARDED_ALLOW_IPS=""``).

Buckets live in the state store (assistant/state), so the limits hold across workers and replicas. When the store
fails (Redis down) requests are let through, with a warning in the log: an outage of the limiter must not become
an outage of the service.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import math
import re
import time

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answering.sessions import session_owner
from assistant.api.metrics import install_metrics
from assistant.settings import Settings
from assistant.state import StateStore, StoreUnavailable, open_store
from assistant.state.base import OutageLog
from assistant.state.memory import MemoryStore

log = logging.getLogger("assistant.api.limits")

API_PREFIX = "/v1/"
MCP_PATH = "/mcp"  # the MCP endpoint: JSON-RPC bodies of a few KB, limited like the API
KAKAO_PREFIX = "/kakao/"  # limited per Kakao user and bot in routers/kakao.py: every user comes from the platform
UI_API_PREFIX = "/gradio_api/"
UI_UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload_progress")
OPENAI_PREFIXES = ("/v1/chat/", "/v1/models")  # answered in OpenAI's error object, which its clients parse
UPLOAD_PATH = "/v1/documents"  # POST: a document upload, capped by ASSISTANT_MAX_UPLOAD_MB (plus its form fields)
UPLOAD_FORM_OVERHEAD = 64 * 1024


def is_openai_path(path: str) -> bool:
    return path.startswith(OPENAI_PREFIXES)


def is_mcp_path(path: str) -> bool:
    return path == MCP_PATH or path.startswith(MCP_PATH + "/")


def error_body(path: str, status: int, message: str, code: str) -> dict:
    """{"detail": ...}, or OpenAI's error object on the OpenAI-compatible routes."""
    if not is_openai_path(path):
        return {"detail": message}
    kind = "requests" if status == 429 else "invalid_request_error"  # what OpenAI itself sends for a rate limit
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the cap: FastAPI re-raises an HTTPException met while
    reading the body (anything else becomes a 400), and its handler turns it into the JSON 413."""

    def __init__(self, limit: int, setting: str = "ASSISTANT_MAX_BODY_BYTES") -> None:
        super().__init__(status_code=413, detail=too_large_message(limit, setting))


class BodyTimedOut(HTTPException):
    """Raised from ``receive`` when the next chunk of the body does not come in time; answered 408."""

    def __init__(self, seconds: float) -> None:
        super().__init__(status_code=408, detail=timed_out_message(seconds), headers={"Connection": "close"})


def too_large_message(limit: int, setting: str = "ASSISTANT_MAX_BODY_BYTES") -> str:
    return f"the request body is larger than the limit of {limit} bytes ({setting})"


def timed_out_message(seconds: float) -> str:
    return f"the request body stopped arriving for {seconds:g} s (ASSISTANT_BODY_TIMEOUT_SECONDS)"


async def send_json(send: Send, status: int, content: dict, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]})
    await send({"type": "http.response.body", "body": body})


class BodyLimits:
    """413 for a declared Content-Length over the cap before anything is read, and for a body (chunked, or longer
    than declared) that turns out larger while it is read; 408 when the next chunk of a body does not arrive within
    ``timeout`` seconds (a client that opens requests and never finishes them would hold a worker each). The
    timeout covers the body only: a streamed response later waits on ``receive`` for the disconnect, untimed."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 15.0,
                 question_max_bytes: int | None = None, upload_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes  # the chat route (whole conversations) and the web chat (its history)
        # the other API bodies are a question or a Kakao payload, a few KB: a smaller cap bounds what FastAPI parses
        # on the event loop (1 MiB of tiny JSON objects is 20-40 ms of json.loads; the chat route parses in a thread)
        self.other_max_bytes = min(max_bytes, question_max_bytes or max_bytes)
        self.upload_max_bytes = upload_max_bytes  # the one route that takes files (admin token checked in the route)
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        small = (path.startswith((API_PREFIX, KAKAO_PREFIX)) or is_mcp_path(path)) and not is_openai_path(path)
        max_bytes = self.other_max_bytes if small else self.max_bytes
        setting = "ASSISTANT_MAX_QUESTION_BODY_BYTES" if small and max_bytes < self.max_bytes else "ASSISTANT_MAX_BODY_BYTES"
        if self.upload_max_bytes is not None and path == UPLOAD_PATH and scope["method"] == "POST":
            max_bytes, setting = self.upload_max_bytes, "ASSISTANT_MAX_UPLOAD_MB"
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await send_json(send, 413, error_body(path, 413, too_large_message(max_bytes, setting), "request_too_large"),
                            {"Connection": "close"})
            return
        received = 0
        body_done = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise BodyTimedOut(self.timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes, setting)
            else:
                body_done = True  # disconnected
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except (BodyTooLarge, BodyTimedOut) as exc:
            if started:  # the app had answered already: nothing left to tell the client
                raise
            code = "request_too_large" if exc.status_code == 413 else "request_timeout"
            await send_json(send, exc.status_code, error_body(path, exc.status_code, exc.detail, code),
                            {"Connection": "close"})



def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we are called
    return None


# client address


class TrustedProxies:
    """Addresses and networks (``10.0.0.0/8``, ``::1``) whose forwarding headers are believed."""

    def __init__(self, entries: list[str]) -> None:
        self.networks = [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: str) -> bool:
        ip = parse_ip(address)
        return ip is not None and any(ip in network for network in self.networks)


def parse_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:10.0.0.1 is 10.0.0.1
        return ip.ipv4_mapped
    return ip


_PORT = re.compile(r"^(?P<host>[^:]+):\d+$")


def node_address(node: str) -> str:
    """The address of one forwarded hop: ``"[2001:db8::1]:4711"`` -> 2001:db8::1, ``192.0.2.60:8080`` ->
    192.0.2.60; ``unknown`` and obfuscated names (``_hidden``) stay as they are (they are no trusted proxy)."""
    node = node.strip().strip('"').strip()
    if node.startswith("["):
        return node[1:node.index("]")] if "]" in node else node[1:]
    if match := _PORT.match(node):  # IPv4 or a name with a port; a bare IPv6 address has several colons
        return match.group("host")
    return node


def forwarded_for(value: str) -> list[str]:
    """The ``for=`` nodes of a Forwarded header (RFC 7239), in order: elements separated by commas, pairs by
    semicolons, names in any case, values quoted or not (a quoted value may hold a comma or a semicolon)."""
    nodes = []
    for element in _split_outside_quotes(value, ","):
        for pair in _split_outside_quotes(element, ";"):
            name, _, node = pair.partition("=")
            if name.strip().lower() == "for" and node.strip():
                nodes.append(node_address(node))
    return nodes


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def client_address(scope: Scope, trusted: TrustedProxies) -> str:
    """Who sent the request: the peer, or, behind trusted proxies, the rightmost hop that is no trusted proxy."""
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted or peer not in trusted:
        return peer
    forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"forwarded"]
    if forwarded:  # the standard header wins: a proxy that writes it means it
        hops = forwarded_for(",".join(forwarded))
    else:
        hops = [node_address(node) for value in (v.decode("latin-1") for n, v in scope["headers"]
                                                 if n == b"x-forwarded-for")
                for node in value.split(",") if node.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else peer  # every hop a proxy of ours: the first one is as far back as is known


# rate limits


class RateLimit:
    """Token buckets per client address: ``per_minute`` requests in a burst, then one every 60/per_minute seconds,
    on the API (``/v1/``) and, in a bucket of its own with a higher limit, on the web UI's API (``/gradio_api/``:
    one question there is a join, a stream and heartbeats). ``/kakao/`` is limited per Kakao user and bot in its
    router instead. The resolved address also becomes ``scope["client"]`` and the owner of the sessions the
    request writes (assistant/answering/sessions.py)."""

    def __init__(self, app: ASGIApp, store: StateStore, per_minute: int, ui_per_minute: int = 0,
                 trusted_proxies: list[str] | None = None, ui_uploads: bool = True) -> None:
        self.app = app
        self.store = store
        self.per_minute = per_minute
        self.ui_per_minute = ui_per_minute
        self.trusted = TrustedProxies(trusted_proxies or [])
        self.ui_uploads = ui_uploads
        self.inline = isinstance(store, MemoryStore)  # microseconds under a lock: not worth a thread
        self._outage = OutageLog(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = client_address(scope, self.trusted)
        peer = scope.get("client")
        scope["client"] = (client, peer[1] if peer and peer[0] == client else 0)
        path = scope["path"]
        if not self.ui_uploads and path.startswith(UI_UPLOAD_PATHS):
            await send_json(send, 404, {"detail": "uploads are off: no part of the web UI takes files "
                                                  "(ASSISTANT_UI_UPLOADS)"})
            return
        if (path.startswith(API_PREFIX) or is_mcp_path(path)) and self.per_minute > 0:
            bucket, per_minute = f"api:{client}", self.per_minute
        elif path.startswith(UI_API_PREFIX) and self.ui_per_minute > 0:
            bucket, per_minute = f"ui:{client}", self.ui_per_minute
        else:
            bucket, per_minute = None, 0
        if bucket is not None and (wait := await self.take(bucket, per_minute)) > 0:
            retry_after = str(max(1, math.ceil(wait)))
            message = f"too many requests: the limit is {per_minute} per minute and client; retry in {retry_after} s"
            await send_json(send, 429, error_body(path, 429, message, "rate_limit_exceeded"),
                            {"Retry-After": retry_after})
            return
        token = session_owner.set(client)
        try:
            await self.app(scope, receive, send)
        finally:
            session_owner.reset(token)

    async def take(self, bucket: str, per_minute: int) -> float:
        """Seconds to wait for a token of ``bucket`` (0: go ahead); 0 as well when the store fails."""
        take = functools.partial(self.store.take_token, bucket, float(per_minute), per_minute / 60.0, time.time())
        try:
            # a shared store may wait (a SQLite write lock, a Redis round trip): in a thread, not on the event loop
            return take() if self.inline else await run_in_threadpool(take)
        except StoreUnavailable as exc:
            self._outage.warn("rate limit store unavailable, letting requests through", exc)
            return 0.0


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits and the metrics to the app (Starlette runs the middleware added last first). The state
    store is opened here, once per app, and kept as ``app.state.state_store`` (the Kakao router's limits use it)."""
    store = open_store(settings.state_store)
    app.state.state_store = store
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds,
                       question_max_bytes=settings.max_question_body_bytes,
                       upload_max_bytes=settings.max_upload_bytes + UPLOAD_FORM_OVERHEAD)
    app.add_middleware(RateLimit, store=store, per_minute=settings.rate_limit_per_minute,
                       ui_per_minute=settings.ui_rate_limit_per_minute, trusted_proxies=settings.trusted_proxies,
                       ui_uploads=settings.ui_uploads)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"],
                           max_age=600)
    install_metrics(app)

"""Prometheus metrics at GET /metrics: requests and latency per route template, and the state of the index.

Every app gets its own registry, so two apps in one process (the tests, a reload) never clash over metric names.
Under ``assistant serve --workers N`` each worker counts in files of its own in ``PROMETHEUS_MULTIPROC_DIR`` (set by
the serve command before prometheus_client is imported) and a scrape, whichever worker answers it, adds up all
of them (prometheus_client's multiprocess mode): otherwise each scrape would see one worker's share.
Labels stay bounded: a route is named by its template (``/v1/documents/{doc_id}``), paths no API route matches by
``unmatched``, and everything outside the API (the web UI at / and its many asset files) by ``ui``.
"""

from __future__ import annotations

import logging
import os
import re
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIXES = ("/v1", "/kakao", "/healthz", "/metrics", "/docs", "/redoc", "/openapi.json")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UI_LABEL, UNMATCHED_LABEL = "ui", "unmatched"
log = logging.getLogger("assistant.api")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


class IndexCollector(Collector):
    """Read at each scrape from the app's current state, so the figures follow a re-index."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self):
        assistant = getattr(self.app.state, "assistant", None)
        if assistant is None:  # scraped before the lifespan loaded the index
            return
        index = assistant.index
        yield GaugeMetricFamily("assistant_chunks_loaded", "chunks in the index being served",
                                value=len(index.retriever.chunks))
        yield GaugeMetricFamily("assistant_documents_loaded", "documents in the index being served",
                                value=len(index.documents))
        mode = GaugeMetricFamily("assistant_retrieval_mode", "1 for the active retrieval mode", labels=["mode"])
        for name in ("hybrid", "lexical"):
            mode.add_metric([name], 1.0 if index.retrieval_mode == name else 0.0)
        yield mode
        builder = getattr(self.app.state, "builder", None)
        if builder is not None:
            state = GaugeMetricFamily("assistant_index_build_state", "1 for the state of the background index build",
                                      labels=["state"])
            for name in ("idle", "building", "done", "failed"):
                state.add_metric([name], 1.0 if builder.status.state == name else 0.0)
            yield state


class MetricsMiddleware:
    """Pure ASGI (no buffering, so streamed responses stream): counts and times every HTTP request."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.requests = requests
        self.latency = latency
        self._templates: list[tuple[re.Pattern, str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before it answers
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = self.route_label(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.requests.labels(method=method, route=route, status=str(status)).inc()
            self.latency.labels(route=route).observe(time.perf_counter() - started)

    def route_label(self, scope: Scope) -> str:
        if not is_api_path(scope["path"]):
            return UI_LABEL
        route = scope.get("route")  # set by the router when the request got that far
        if isinstance(route, Route):
            return route.path
        # refused before routing (413, 429), or caught by the mount at / only: find the template ourselves
        return next((template for pattern, template in self.templates() if pattern.match(scope["path"])),
                    UNMATCHED_LABEL)

    def templates(self) -> list[tuple[re.Pattern, str]]:
        """The app's path templates, compiled (from the OpenAPI paths: included routers are not plain routes)."""
        if self._templates is None:
            paths = [r.path for r in self.fastapi_app.router.routes if isinstance(r, Route)]
            try:
                paths += list(self.fastapi_app.openapi().get("paths", {}))
            except Exception:  # noqa: BLE001 - a broken schema must not break the requests being counted
                log.exception("no OpenAPI paths for the metrics labels")
            self._templates = [(compile_path(path)[0], path) for path in dict.fromkeys(paths)]
        return self._templates


def install_metrics(app: FastAPI) -> None:
    """Count and time every request and serve GET /metrics; call after the other middleware so it sees their
    refusals (413, 429) too."""
    registry = CollectorRegistry()
    requests = Counter("assistant_http_requests", "HTTP requests by method, route template and status",
                       ["method", "route", "status"], registry=registry)
    latency = Histogram("assistant_http_request_duration_seconds", "time to the end of the response, by route",
                        ["route"], buckets=LATENCY_BUCKETS, registry=registry)
    registry.register(IndexCollector(app))
    app.state.metrics_registry = registry
    app.add_middleware(MetricsMiddleware, fastapi_app=app, requests=requests, latency=latency)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics (text format)",
             response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    def metrics(request: Request) -> Response:
        return Response(generate_latest(scrape_registry(request.app)), media_type=CONTENT_TYPE_LATEST)


def scrape_registry(app: FastAPI) -> CollectorRegistry:
    """What a scrape reads: the app's registry in one process; with several workers, every worker's counts from
    the shared folder (summed per label set) and this worker's live view of the index (the same in all)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return app.state.metrics_registry
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(IndexCollector(app))
    return registry

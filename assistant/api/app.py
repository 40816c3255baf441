"""The FastAPI application: the index is loaded once, routers per resource."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from assistant import __version__
from assistant.api.errors import BODY_LIMITS, LIMIT_RESPONSES, encodable_errors, encodable_text
from assistant.api.kakao_format import UNREADABLE_TEXT
from assistant.api.limits import error_body, install_limits
from assistant.api.mcp import mount_mcp
from assistant.api.metrics import METHODS, is_api_path
from assistant.api.routers import admin, ask, chat, documents, facts, health, kakao, search
from assistant.api.schemas.kakao import KakaoSkillResponse
from assistant.api.schemas.text import UNREADABLE_TEXT_ERRORS
from assistant.index.background import BackgroundIngest
from assistant.service import Assistant, QuestionError
from assistant.settings import Settings, get_settings
from assistant.state.index_watch import start_index_watch

log = logging.getLogger("assistant.api")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None,
               build_in_background: bool = False) -> FastAPI:
    """The service. ``build_in_background``: the index loaded is lexical-only (or stale); build the full one
    in a thread and switch to it when done, serving all along."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assistant = assistant or Assistant(settings)
        # the loaded index is ~10^5 long-lived objects: a full collection scanning them took ~60 ms holding the GIL
        # whenever a request allocated much (a 1 MiB chat body of tiny objects); frozen, they are never scanned
        gc.freeze()
        app.state.builder = BackgroundIngest(settings, on_done=app.state.assistant.reload)
        app.state.index_watch = start_index_watch(app.state.assistant, settings)  # picks up others' rebuilds
        if build_in_background:
            app.state.builder.start()
        async with mcp_server.session_manager.run():  # the MCP endpoint's task group lives as long as the app
            yield

    app = FastAPI(title="Plan-document assistant", version=__version__, lifespan=lifespan,
                  description="Cited answers over Korean public-sector plan documents.")
    app.state.settings = settings  # routers read settings (e.g. the admin token) from here
    install_limits(app, settings)
    # the refusals of the middleware, documented on every operation they can answer (health has no rate limit)
    for module in (ask, search, facts, documents, chat, kakao, admin):
        app.include_router(module.router, responses=LIMIT_RESPONSES)
    app.include_router(health.router, responses=BODY_LIMITS)
    mcp_server = mount_mcp(app, settings.host, behind_proxy=bool(settings.trusted_proxies))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if request.url.path == KAKAO_SKILL_PATH and any(e.get("type") in UNREADABLE_TEXT_ERRORS for e in errors):
            # a skill payload whose text is no text (a lone surrogate): the user gets a bubble saying so, since
            # the platform shows a 4xx as a generic failure (kakao.py answers every readable utterance)
            reply = KakaoSkillResponse.text(UNREADABLE_TEXT)
            return JSONResponse(reply.model_dump(mode="json", by_alias=True, exclude_none=True))
        # FastAPI's own handler echoes each bad value, and NaN, 1e400 or "\ud800" cannot be encoded: a 500
        return JSONResponse(status_code=422, content={"detail": encodable_errors(errors)})

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # FastAPI answers a body json.loads fails on other than by a syntax error (not UTF-8, nested past the
        # recursion limit) with a bare 400 "error parsing the body": a 422 like every other unreadable body, in
        # the HTTPValidationError shape the spec documents, saying what is wrong
        if exc.status_code == 400 and exc.__cause__ is not None:
            message = ("the request body is not valid UTF-8 JSON" if isinstance(exc.__cause__, UnicodeDecodeError)
                       else "the request body could not be read as JSON")
            return JSONResponse(status_code=422, content={"detail": [
                {"loc": ["body"], "msg": message, "type": "json_invalid"}]})
        return await http_exception_handler(request, exc)

    @app.exception_handler(QuestionError)
    async def _question_error(request: Request, exc: QuestionError) -> JSONResponse:
        # the request schemas refuse empty and long questions first; this is the service's own word on them
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": ["body"], "msg": encodable_text(str(exc)), "type": "value_error"}]})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)  # the trace goes to the log, never to the client
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    # after every API route, before the UI: a wrong method or unknown path under the API is the API's 405 or
    # 404, not the UI's page (the mount at / would otherwise take every request no API route fully matches)
    app.router.routes.append(ApiFallback(list(app.router.routes)))
    if settings.ui:
        from assistant.ui import mount_ui

        app = mount_ui(app, settings)  # last: the UI is mounted at /, after every API route
    return app


KAKAO_SKILL_PATH = "/kakao/skill"


class ApiFallback(BaseRoute):
    """Whatever reaches the end of the API routes on an API path: 405 with ``Allow`` when another method would
    have matched, else a JSON 404.

    Starlette takes a route that matches the path but not the method only when no route matches both, and the
    UI mounted at / matches everything: without this route, ``PUT /v1/ask`` got the UI's 404. It is no ``Route``,
    so it sets no route template and the metrics still label these requests by the template or "unmatched".
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes  # the API's routes, in the order the router tries them

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and is_api_path(scope["path"]):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: object):
        raise NoMatchFound(name, path_params)  # url_for looks through every route; this one has no name

    def allowed(self, scope: Scope) -> list[str]:
        return [method for method in sorted(METHODS)
                if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in self.routes)]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = encodable_text(scope["path"])
        # {"detail": ...}, or the OpenAI error object on the OpenAI routes, as the middleware's refusals
        if allowed := self.allowed(scope):
            message = f"{scope['method']} is not allowed on {path}; allowed: {', '.join(allowed)}"
            response = JSONResponse(status_code=405, headers={"Allow": ", ".join(allowed)},
                                    content=error_body(path, 405, message, "method_not_allowed"))
        else:
            response = JSONResponse(status_code=404, content=error_body(path, 404, f"no API route {path}", "not_found"))
        await response(scope, receive, send)

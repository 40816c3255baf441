"""The FastAPI application: the index is loaded once, routers per resource."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant import __version__
from assistant.api.limits import install_limits
from assistant.api.routers import admin, ask, chat, documents, facts, health, kakao, search
from assistant.index.background import BackgroundIngest
from assistant.service import Assistant, QuestionError
from assistant.settings import Settings, get_settings

log = logging.getLogger("assistant.api")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None,
               build_in_background: bool = False) -> FastAPI:
    """The service. ``build_in_background``: the index loaded is lexical-only (or stale); build the full one
    in a thread and switch to it when done, serving all along."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assistant = assistant or Assistant(settings)
        app.state.builder = BackgroundIngest(settings, on_done=app.state.assistant.reload)
        if build_in_background:
            app.state.builder.start()
        yield

    app = FastAPI(title="Plan-document assistant", version=__version__, lifespan=lifespan,
                  description="Cited answers over Korean public-sector plan documents.")
    app.state.settings = settings  # routers read settings (e.g. the admin token) from here
    install_limits(app, settings)
    for module in (ask, search, facts, documents, chat, kakao, admin, health):
        app.include_router(module.router)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # FastAPI answers a body that is not UTF-8 with a bare 400 "error parsing the body"; say what is wrong
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            return JSONResponse(status_code=422, content={"detail": "the request body is not valid UTF-8 JSON"})
        return await http_exception_handler(request, exc)

    @app.exception_handler(QuestionError)
    async def _question_error(request: Request, exc: QuestionError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)  # the trace goes to the log, never to the client
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    if settings.ui:
        from assistant.ui import mount_ui

        app = mount_ui(app, settings)  # last: the UI is mounted at /, after every API route
    return app

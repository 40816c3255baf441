"""The FastAPI application: the index is loaded once, routers per resource."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant import __version__
from assistant.api.routers import ask, documents, health, search
from assistant.service import Assistant, QuestionError
from assistant.settings import Settings, get_settings

log = logging.getLogger("assistant.api")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assistant = assistant or Assistant(settings)
        yield

    app = FastAPI(title="Plan-document assistant", version=__version__, lifespan=lifespan,
                  description="Cited answers over Korean public-sector plan documents.")
    for module in (ask, search, documents, health):
        app.include_router(module.router)

    @app.exception_handler(QuestionError)
    async def _question_error(request: Request, exc: QuestionError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)  # the trace goes to the log, never to the client
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    return app

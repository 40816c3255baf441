"""/v1/admin/reindex: a full re-ingest of the corpus while the server keeps answering, behind a bearer token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.errors import ErrorDetail
from assistant.api.schemas.admin import BuildRunning, BuildStatus

bearer = HTTPBearer(auto_error=False, description="the value of ASSISTANT_ADMIN_TOKEN")


def require_admin(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    token = request.app.state.settings.admin_token
    if not token:  # no token configured: nobody is admin, and the routes say so rather than accept anyone
        raise HTTPException(status_code=404, detail="the admin routes are disabled: set ASSISTANT_ADMIN_TOKEN")
    given = credentials.credentials if credentials is not None else ""
    if not given or not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(status_code=401, detail="a valid 'Authorization: Bearer <admin token>' header is needed",
                            headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)], responses={
    401: {"model": ErrorDetail, "description": "no valid admin token"},
    404: {"model": ErrorDetail, "description": "the admin routes are disabled (no ASSISTANT_ADMIN_TOKEN)"},
})


@router.post("/reindex", status_code=202, response_model=BuildStatus,
             responses={409: {"model": BuildRunning, "description": "a build is already running"}},
             summary="Re-ingest the corpus in the background; the index is swapped in when done")
def start_reindex(request: Request):
    builder = request.app.state.builder
    if not builder.start():
        return JSONResponse(status_code=409, content={
            "detail": "an index build is already running (here, or in another process sharing the index folder)",
            "build": builder.status.as_dict()})
    return builder.status.as_dict()


@router.get("/reindex", response_model=BuildStatus, summary="The state of the last (or current) re-index")
def reindex_status(request: Request) -> dict:
    return request.app.state.builder.status.as_dict()

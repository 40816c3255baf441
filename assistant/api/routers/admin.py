"""POST /v1/admin/reindex behind a bearer token (to be filled in)."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/admin", tags=["admin"])

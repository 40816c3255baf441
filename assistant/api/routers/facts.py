"""GET /v1/contacts, /v1/schedules, /v1/projects: the fact records with their citations (to be filled in)."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["facts"])

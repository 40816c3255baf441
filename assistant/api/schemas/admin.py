"""Bodies of /v1/admin/*."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BuildStatus(BaseModel):
    """The background re-index (``BackgroundIngest.status``)."""

    state: str = Field(description="idle, building, done or failed")
    started: float | None = Field(description="Unix time the build started")
    finished: float | None = Field(description="Unix time it ended")
    embedded: int = Field(description="chunks embedded so far in this build")
    chunks: int | None = Field(description="chunks in the new index, once built")
    error: str | None
    runs: int = Field(description="builds started since the server started")


class BuildRunning(BaseModel):
    """The 409 of POST /v1/admin/reindex while a build runs."""

    detail: str
    build: BuildStatus

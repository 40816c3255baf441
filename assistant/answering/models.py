"""The answer object: what ``assistant ask --json``, the HTTP API and the evaluation share."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Citation(BaseModel):
    n: int = Field(description="the number used in the answer text, [n]")
    doc: str = Field(description="document id")
    title: str
    section: str
    text: str = Field(description="verbatim quote of the source document")
    score: float
    chunk_id: str = ""


class AnswerResponse(BaseModel):
    answer: str
    abstained: bool = False
    intent: str = "general"
    citations: list[Citation] = Field(default_factory=list)
    facts: list[dict] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list, description="nearest sections, when abstaining")
    timing_ms: dict[str, float] = Field(default_factory=dict)

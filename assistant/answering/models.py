"""The answer object: what ``assistant ask --json``, the HTTP API and the evaluation share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from assistant.chunking import Chunk


class Citation(BaseModel):
    n: int = Field(description="the number used in the answer text, [n]")
    doc: str = Field(description="document id")
    title: str
    section: str
    text: str = Field(description="verbatim quote of the source document")
    score: float
    chunk_id: str = ""
    start: int = Field(0, description="offset of the quote in the document's normalized text")
    end: int = Field(0, description="end offset of the quote: text == document[start:end]")
    location: str = Field("", description="page(s) of a PDF or sheet and rows of a spreadsheet: 'p. 12', "
                                          "'시트 '예산' 3–7행'; empty for formats without pages")
    page: int | None = Field(None, description="first page of the quote (PDF, HWP), when known")

    @classmethod
    def of_chunk(cls, n: int, chunk: Chunk, score: float) -> Citation:
        return cls(n=n, doc=chunk.doc_id, title=chunk.doc_title, section=chunk.section, text=chunk.quote,
                   score=round(float(score), 4), chunk_id=chunk.chunk_id, start=chunk.start, end=chunk.end,
                   location=chunk.location, page=chunk.pages[0] if chunk.pages else None)


class Evidence(BaseModel):
    """The exact span that supports a citation: what a client highlights inside the quote."""

    n: int = Field(description="the citation it belongs to")
    doc: str = Field(description="document id")
    start: int = Field(description="offset in the document's normalized text")
    end: int = Field(description="end offset: text == document[start:end]")
    text: str = Field(description="the supporting span, verbatim (a line, a list item or a table cell)")


class AnswerResponse(BaseModel):
    answer: str = Field(description="the short answer, each fact followed by its [n]")
    abstained: bool = False
    intent: str = "general"
    answer_type: str = Field("", description="what the question asks for: person, count, amount, date, ...")
    citations: list[Citation] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list, description="per citation, the span to highlight")
    facts: list[dict] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list, description="nearest sections, when abstaining")
    timing_ms: dict[str, float] = Field(default_factory=dict)

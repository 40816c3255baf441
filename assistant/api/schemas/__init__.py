"""Request and response bodies of the HTTP API, apart from the logic that fills them (one module per protocol)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from assistant.answering.models import AnswerResponse, Citation
from assistant.api.schemas.admin import BuildStatus
from assistant.api.schemas.text import Question, Text
from assistant.service import MAX_QUESTION_CHARS

__all__ = ["AnswerResponse", "AskRequest", "Citation", "DocumentDetail", "DocumentSummary", "DocumentsResponse",
           "Health", "SearchRequest", "SearchResponse", "SearchResult"]


class _Request(BaseModel):
    # NaN and Infinity are no JSON numbers: refused like any other bad value, not read as a number
    model_config = ConfigDict(allow_inf_nan=False)


class AskRequest(_Request):
    question: Question = Field(min_length=1, max_length=MAX_QUESTION_CHARS, examples=["학술행사 담당자 전화번호 알려줘"])
    session_id: Text | None = Field(default=None, max_length=200)
    top_k: int | None = Field(default=None, ge=1, le=50, description="chunks retrieved and read for the answer; "
                                                                     "the server's setting when left out")


class SearchRequest(_Request):
    query: Question = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    top_k: int = Field(default=10, ge=1, le=50)


class SearchResult(BaseModel):
    rank: int
    doc: str
    title: str
    section: str
    text: str = Field(description="verbatim quote of the source document")
    score: float
    chunk_id: str
    kind: str
    location: str = Field("", description="PDF page(s) or spreadsheet sheet and rows: 'p. 12'")


class SearchResponse(BaseModel):
    results: list[SearchResult]


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    organization: str
    year: str
    source_format: str
    chunks: int


class DocumentsResponse(BaseModel):
    documents: list[DocumentSummary]


class ChunkSpan(BaseModel):
    chunk_id: str
    start: int
    end: int
    section: str
    kind: str
    location: str = Field("", description="PDF page(s) or spreadsheet sheet and rows: 'p. 12'")


class DocumentDetail(DocumentSummary):
    text: str = Field(description="the normalized text that citations quote")
    chunk_spans: list[ChunkSpan]


class Health(BaseModel):
    status: str
    chunks: int
    documents: int
    retrieval: str = Field(description="'hybrid' (BM25 + dense), or 'lexical' while the embeddings are built")
    embedder: str | None = Field(description="id of the embedder the index was built with")
    index_built_at: str
    build: BuildStatus = Field(description="the background index build: state, embedded chunks so far, error")

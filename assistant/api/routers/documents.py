from collections import Counter

from fastapi import APIRouter, HTTPException, Request

from assistant.api.errors import NOT_FOUND
from assistant.api.schemas import ChunkSpan, DocumentDetail, DocumentsResponse, DocumentSummary

router = APIRouter(prefix="/v1/documents", tags=["documents"])


def _summary(doc: dict, chunks: int) -> dict:
    return {k: doc[k] for k in ("doc_id", "title", "organization", "year", "source_format")} | {"chunks": chunks}


@router.get("", response_model=DocumentsResponse, summary="The indexed documents")
def list_documents(request: Request) -> DocumentsResponse:
    index = request.app.state.assistant.index  # one snapshot, even if a re-index lands meanwhile
    counts = Counter(c.doc_id for c in index.chunks)
    return DocumentsResponse(documents=[
        DocumentSummary(**_summary(doc, counts[doc_id])) for doc_id, doc in index.documents.items()
    ])


@router.get("/{doc_id}", response_model=DocumentDetail, summary="A document's normalized text and chunk boundaries",
            responses=NOT_FOUND)
def get_document(doc_id: str, request: Request) -> DocumentDetail:
    index = request.app.state.assistant.index
    doc = index.documents.get(doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id!r}")
    spans = [ChunkSpan(chunk_id=c.chunk_id, start=c.start, end=c.end, section=c.section, kind=c.kind.value,
                       location=c.location)
             for c in index.chunks if c.doc_id == doc_id]
    return DocumentDetail(**_summary(doc, len(spans)), text=doc["text"], chunk_spans=spans)

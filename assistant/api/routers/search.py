from fastapi import APIRouter, Request

from assistant.api.schemas import SearchRequest, SearchResponse, SearchResult

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchResponse, summary="Ranked evidence for a query")
def search(body: SearchRequest, request: Request) -> SearchResponse:
    hits = request.app.state.assistant.search(body.query, k=body.top_k)
    return SearchResponse(results=[
        SearchResult(rank=h.rank, doc=h.chunk.doc_id, title=h.chunk.doc_title, section=h.chunk.section,
                     text=h.chunk.quote, score=round(h.score, 4), chunk_id=h.chunk.chunk_id, kind=h.chunk.kind.value,
                     location=h.chunk.location)
        for h in hits
    ])

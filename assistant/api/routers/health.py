from fastapi import APIRouter, Request

from assistant.api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Is the index loaded")
def healthz(request: Request) -> Health:
    assistant = request.app.state.assistant
    index = assistant.index
    embedder = getattr(index.retriever.embedder, "id", None) if index.retriever.dense is not None else None
    return Health(status="ok", chunks=len(index.retriever.chunks), documents=len(index.documents),
                  retrieval=index.retrieval_mode, embedder=embedder, index_built_at=index.built_at,
                  build=request.app.state.builder.status.as_dict())

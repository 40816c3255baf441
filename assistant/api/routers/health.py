from fastapi import APIRouter, Request

from assistant.api.schemas import Health

router = APIRouter(tags=["operations"])


# async: it only reads what is in memory, so it runs on the event loop and never waits for a worker thread, which
# answers (sync routes) and large chat bodies being parsed may all hold under a flood
@router.get("/healthz", response_model=Health,
            summary="Is the index loaded; the background build: state, start, chunks embedded so far, error")
async def healthz(request: Request) -> Health:
    assistant = request.app.state.assistant
    index = assistant.index
    embedder = getattr(index.retriever.embedder, "id", None) if index.retriever.dense is not None else None
    # build.embedded counts the new index's chunks as they get their vectors (from the cache or the model): while
    # an uploaded or deleted document is being indexed it climbs to the new index's chunk count
    return Health(status="ok", chunks=len(index.retriever.chunks), documents=len(index.documents),
                  retrieval=index.retrieval_mode, embedder=embedder, index_built_at=index.built_at,
                  build=request.app.state.builder.status.as_dict())

from fastapi import APIRouter, Request

from assistant.api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Is the index loaded")
def healthz(request: Request) -> Health:
    assistant = request.app.state.assistant
    return Health(status="ok", chunks=len(assistant.chunks), documents=len(assistant.documents),
                  retrieval=assistant.retriever.name)

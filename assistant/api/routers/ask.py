from fastapi import APIRouter, Request

from assistant.api.schemas import AnswerResponse, AskRequest

router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/ask", response_model=AnswerResponse, summary="Answer a question with numbered, quoted citations")
def ask(body: AskRequest, request: Request) -> AnswerResponse:
    return request.app.state.assistant.ask(body.question, session_id=body.session_id)

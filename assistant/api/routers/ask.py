from fastapi import APIRouter, Request

from assistant.api.schemas import AnswerResponse, AskRequest

router = APIRouter(prefix="/v1", tags=["answers"])
# the API's sessions live apart from the Kakao ("kakao:") and OpenAI ("openai:") ones in the shared store: a caller
# who knows a Kakao user key cannot write into that user's follow-up context through this route
SESSION_PREFIX = "api:"


@router.post("/ask", response_model=AnswerResponse, summary="Answer a question with numbered, quoted citations")
def ask(body: AskRequest, request: Request) -> AnswerResponse:
    session_id = f"{SESSION_PREFIX}{body.session_id}" if body.session_id else None
    return request.app.state.assistant.ask(body.question, session_id=session_id, top_k=body.top_k)

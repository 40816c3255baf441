"""POST /v1/chat/completions: the OpenAI chat-completions protocol (to be filled in)."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["openai"])

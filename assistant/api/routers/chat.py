"""POST /v1/chat/completions and GET /v1/models: the OpenAI chat-completions protocol.

Any OpenAI client or chat front end (the ``openai`` SDK, Open WebUI, LibreChat) can use the assistant with
``base_url=<server>/v1``. Errors on these routes, request validation included, use OpenAI's error object
(``{"error": {"message", "type", "param", "code"}}``); the rest of the API keeps ``{"detail": ...}``.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from assistant.api.errors import BODY_TIMED_OUT, BODY_TOO_LARGE, TOO_MANY_REQUESTS
from assistant.api.openai_chat import ChatAnswer, ChatAPIError, complete, stream_pieces
from assistant.api.schemas.openai import (
    MAX_MESSAGES,
    MODEL_ID,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    ChunkDelta,
    ErrorResponse,
    ModelCard,
    ModelList,
)
from assistant.api.schemas.text import UNREADABLE_TEXT_ERRORS

log = logging.getLogger("assistant.api.openai")


class OpenAIErrorRoute(APIRoute):
    """Errors of this router's routes in OpenAI's error format, without touching the app's own handlers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                await parse_json_off_the_loop(request)
                return await handler(request)
            except RequestValidationError as exc:
                error = validation_error(exc.errors())
            except ChatAPIError as exc:
                error = exc
            except HTTPException as exc:  # e.g. a body over the cap, met while the body was read
                error = http_error(exc, request)
                headers = dict(exc.headers or {})
                if exc.status_code == 413:
                    headers["Connection"] = "close"  # as the body cap does: the rest of the body is not read
                return JSONResponse(status_code=error.status, content=error.body(), headers=headers)
            except Exception:
                log.exception("unhandled error on %s", request.url.path)  # the trace goes to the log only
                error = ChatAPIError(500, "내부 오류가 발생했습니다.", type="server_error")
            return JSONResponse(status_code=error.status, content=error.body())

        return handle


LARGE_BODY_BYTES = 64 * 1024


def _large_body_slots(request: Request) -> asyncio.Semaphore:
    """The app's one slot for parsing a large body: with forty parsed at once in threads, the event loop had to win
    the GIL against forty holders; with one, it waits for one parse at most, and the requests waiting hold no
    worker thread."""
    slots = getattr(request.app.state, "large_body_slots", None)
    if slots is None:
        slots = request.app.state.large_body_slots = asyncio.Semaphore(1)
    return slots


async def parse_json_off_the_loop(request: Request) -> None:
    """Parse a chat request's JSON body in a worker thread, before FastAPI would parse it on the event loop.

    A chat body may be the 1 MiB cap of tiny objects (~35,000 one-letter messages), 20-40 ms of json.loads; forty
    of them parsed on the event loop one after another held /healthz for over half a second. In a thread the loop
    waits at most for the one parse holding the GIL (large bodies are parsed one at a time). Starlette's ``Request.json()`` returns ``_json`` when it is
    set, so FastAPI validates this result rather than parsing again; a body that is not JSON fails here exactly as
    FastAPI's own parse reports it."""
    content_type = request.headers.get("content-type", "")
    if request.method != "POST" or (content_type and "json" not in content_type):
        return
    body = await request.body()
    if len(body) < LARGE_BODY_BYTES:
        return  # FastAPI parses a body this small on the loop in about a millisecond at worst
    if _surely_over_message_cap(body):
        raise RequestValidationError([{"type": "too_long", "loc": ("body", "messages"),
                                       "msg": f"List should have at most {MAX_MESSAGES} items", "input": None}])
    try:
        async with _large_body_slots(request):  # one at a time: each holds the GIL while json.loads runs
            request._json = await run_in_threadpool(json.loads, body)
    except json.JSONDecodeError as exc:  # the error FastAPI raises for it (fastapi/routing.py)
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": exc.msg}}], body=exc.doc) from exc
    except (ValueError, RecursionError):
        return  # not UTF-8, nested too deep: FastAPI's parse meets it too and answers it as before


_ROLE_KEY = re.compile(rb'"role"\s*:')


def _surely_over_message_cap(body: bytes) -> bool:
    """Whether the raw JSON has over twice ``MAX_MESSAGES`` object keys spelled ``"role"``. Every message has one,
    so far more of them than the message cap is a conversation over the cap, told in a millisecond instead of the 15 ms json.loads takes on
    1 MiB of one-letter messages (forty of those in flight took 0.76 s each to refuse, one parse at a time).

    A key is the only place the bytes ``"role"`` meet a colon (a string value is followed by ``,`` ``}`` or ``]``,
    and a quote inside a string is escaped), so other ``role`` texts are not counted. Objects other than messages
    may have a role key too (a tool's JSON schema, which this route ignores): hence twice the cap before a body is
    refused without parsing; between the two, the parsed list is counted as before."""
    if body.count(b'"role"') <= 2 * MAX_MESSAGES:  # the common case: no regex at all
        return False
    # the keys counted up to one past twice the cap only: a flood's 35,000 need not all be found
    return next(itertools.islice(_ROLE_KEY.finditer(body), 2 * MAX_MESSAGES, None), None) is not None


# the middleware's refusals (assistant/api/limits.py) come in the OpenAI error object on these paths too
router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIErrorRoute, responses={
    400: {"model": ErrorResponse, "description": "invalid request (OpenAI error object)"},
    408: {"model": ErrorResponse, "description": BODY_TIMED_OUT},
    413: {"model": ErrorResponse, "description": BODY_TOO_LARGE},
    429: {"model": ErrorResponse, "description": TOO_MANY_REQUESTS},
})


def http_error(exc: HTTPException, request: Request) -> ChatAPIError:
    """An HTTPException of the framework or the middleware, with its status, as an OpenAI error."""
    status = exc.status_code
    if status == 413:
        limit = request.app.state.settings.max_body_bytes
        return ChatAPIError(413, f"요청 본문이 너무 큽니다: 최대 {limit:,}바이트까지 받습니다.", code="request_too_large")
    if status == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        return ChatAPIError(400, "요청 본문이 UTF-8로 인코딩된 JSON이 아닙니다.", code="invalid_encoding")
    if status == 400 and exc.__cause__ is not None:  # json.loads failed other than on syntax (nested too deep)
        return ChatAPIError(400, "요청 본문을 JSON으로 읽을 수 없습니다.", code="invalid_json")
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return ChatAPIError(status, str(exc.detail), type=kind)


_FIELD = re.compile(r"\w+")


def validation_error(errors: list[dict]) -> ChatAPIError:
    """The first validation error, in words a chat user can act on."""
    # a field of several types (content: text or parts) fails once per type; text that is no text says the most
    unreadable = [e for e in errors if e.get("type") in UNREADABLE_TEXT_ERRORS]
    first = unreadable[0] if unreadable else errors[0] if errors else {}
    kind = first.get("type", "")
    loc = []
    for part in (str(p) for p in first.get("loc", ()) if p != "body"):
        if not _FIELD.fullmatch(part):  # a union member pydantic names ("function-after[readable(), str]"): the
            break                       # field above it is the one the client wrote
        loc.append(part)
    param = ".".join(loc) or None
    if kind == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "")
        at = f", {loc[0]}번째 문자" if loc else ""
        return ChatAPIError(400, f"요청 본문이 올바른 JSON이 아닙니다 ({detail}{at}).", code="invalid_json")
    if not loc:
        return ChatAPIError(400, "요청 본문은 JSON 객체여야 합니다 (Content-Type: application/json).",
                            code="invalid_body")
    if kind == "missing":
        return ChatAPIError(400, f"필수 항목 '{param}'이(가) 없습니다.", param=param, code="missing_field")
    if param == "messages" and kind == "too_short":
        return ChatAPIError(400, "messages가 비어 있습니다: 질문이 담긴 사용자 메시지가 하나 이상 있어야 합니다.",
                            param=param, code="empty_messages")
    if param == "messages" and kind == "too_long":
        return ChatAPIError(400, f"messages가 너무 많습니다: 한 요청에 최대 {MAX_MESSAGES}개까지 받습니다. 대화의 앞부분을 "
                                 "줄여서 보내 주세요.", param=param, code="too_many_messages")
    if kind in UNREADABLE_TEXT_ERRORS:
        return ChatAPIError(400, f"'{param}'에 읽을 수 없는 문자(짝이 없는 서로게이트 \\ud800-\\udfff)가 있습니다: "
                                 "UTF-8 텍스트로 보내 주세요.", param=param, code="invalid_text")
    return ChatAPIError(400, f"'{param}' 값이 올바르지 않습니다: {first.get('msg', '')}", param=param,
                        code="invalid_value")


@router.post("/chat/completions", response_model=ChatCompletion,
             summary="OpenAI-compatible chat: the cited answer to the last user message",
             responses={200: {"content": {"text/event-stream": {"schema": {
                 "type": "string", "description": "with stream: true, 'data: <chat.completion.chunk JSON>' events "
                                                  "(see ChatCompletionChunk in assistant/api/schemas/openai.py), "
                                                  "then 'data: [DONE]'"}}},
                              "description": "a chat.completion, or with stream: true server-sent events"}})
async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
    assistant = request.app.state.assistant
    answer: ChatAnswer = await run_in_threadpool(complete, assistant, body.messages, body.user)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(_events(answer, completion_id, created, include_usage),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    completion = ChatCompletion(
        id=completion_id, created=created, model=MODEL_ID,
        choices=[Choice(message=AssistantMessage(content=answer.content))],
        usage=answer.usage, citations=answer.response.citations, abstained=answer.response.abstained,
    )
    return JSONResponse(completion.model_dump(mode="json"))


async def _events(answer: ChatAnswer, completion_id: str, created: int, include_usage: bool) -> AsyncIterator[str]:
    def chunk(delta: ChunkDelta | None, finish: bool = False, **extra: Any) -> str:
        event = ChatCompletionChunk(id=completion_id, created=created, model=MODEL_ID, **extra, choices=(
            [] if delta is None else [ChunkChoice(delta=delta, finish_reason="stop" if finish else None)]))
        data = event.model_dump(mode="json")
        for key in ("citations", "abstained"):  # only on the last content chunk
            if data[key] is None:
                del data[key]
        for choice in data["choices"]:
            choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk(ChunkDelta(role="assistant", content=""))
    for piece in stream_pieces(answer.content):
        yield chunk(ChunkDelta(content=piece))
    yield chunk(ChunkDelta(), finish=True, citations=answer.response.citations, abstained=answer.response.abstained)
    if include_usage:
        yield chunk(None, usage=answer.usage)
    yield "data: [DONE]\n\n"


@router.get("/models", response_model=ModelList, summary="The one model: the assistant")
def list_models(request: Request) -> ModelList:
    return ModelList(data=[_model_card(request)])


@router.get("/models/{model_id}", response_model=ModelCard, summary="The model, by id",
            responses={404: {"model": ErrorResponse, "description": "no model of that id (OpenAI error object)"}})
def get_model(model_id: str, request: Request) -> ModelCard:
    if model_id != MODEL_ID:
        raise ChatAPIError(404, f"모델 '{model_id}'이(가) 없습니다. 이 서버의 모델은 '{MODEL_ID}'입니다.",
                           param="model", code="model_not_found", type="not_found_error")
    return _model_card(request)


def _model_card(request: Request) -> ModelCard:
    built_at = request.app.state.assistant.index.built_at
    try:
        created = int(datetime.datetime.strptime(built_at, "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except ValueError:
        created = 0
    return ModelCard(id=MODEL_ID, created=created, owned_by="plan-assistant")

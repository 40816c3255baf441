"""The OpenAI chat-completions protocol (``POST /v1/chat/completions``, ``GET /v1/models``).

The subset any OpenAI client or chat front end sends and reads. Sampling fields (temperature, max_tokens, n,
stop ...) are accepted and ignored: the answer is extractive and cited, not sampled. Fields this schema does not
name are ignored, so a new client field never breaks a request. Two fields are added to the response and to the
last stream chunk, ``citations`` and ``abstained``; OpenAI clients ignore them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.answering.models import Citation
from assistant.api.schemas.text import Text

MODEL_ID = "plan-assistant"
# messages a request may hold: far more than a conversation people have, and a bound on the work one request
# can ask for (a 1 MiB body holds ~35,000 one-letter messages; each costs validation, a key, a token count)
MAX_MESSAGES = 256

# prompt characters counted with Kiwi, the rest estimated at the rate of these: Kiwi takes ~6 s for a 1 MiB system
# message, under the lock every answer shares, so any client could stall all answering with a few large prompts
PROMPT_COUNT_CHARS = 20_000
TOKEN_COUNT = ("Kiwi morphemes (assistant.analysis.count_tokens), not the tokens of any OpenAI model: "
               f"prompt_tokens over the text of every message sent (past its first {PROMPT_COUNT_CHARS:,} characters, "
               "estimated at the rate of those), completion_tokens over the returned content.")


class _Lenient(BaseModel):
    # NaN and Infinity are no JSON numbers: refused, not taken for a temperature
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class ContentPart(_Lenient):
    type: str = Field(description="only 'text' parts are read; other parts (images, files, audio) are ignored")
    text: Text | None = None


class ChatMessage(_Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(_Lenient):
    include_usage: bool | None = Field(default=None, description="send a usage chunk (choices: []) before [DONE]")


class ChatCompletionRequest(_Lenient):
    model: str | None = Field(default=MODEL_ID, description=f"any value is accepted; '{MODEL_ID}' answers")
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=MAX_MESSAGES,
        description="the whole conversation, as clients resend it; the question is the last user message, and the "
                    "earlier user messages are what follow-ups such as '그 사업 담당자는?' refer to; at most "
                    f"{MAX_MESSAGES} messages",
    )
    stream: bool | None = Field(default=False, description="server-sent events of chat.completion.chunk objects")
    stream_options: StreamOptions | None = None
    user: Text | None = Field(default=None, max_length=200,
                             description="the end user; conversations of different users never share a topic")
    # accepted and ignored: the answer is quoted from the documents, not sampled
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = Field(default=None, description="ignored: one choice is returned")
    max_tokens: int | None = Field(default=None, description="ignored: a cited answer is never cut")
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{
        "model": MODEL_ID,
        "messages": [{"role": "user", "content": "고양시정연구원 학술행사 담당자 번호 알려줘"}],
    }]})


class Usage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": TOKEN_COUNT})

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(description="the answer with its [n] markers, then the numbered sources (title, section, "
                                     "the verbatim quote) in Markdown")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str = Field(description="chatcmpl-...")
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix time in seconds")
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation] = Field(description="the sources the content numbers, as structured data (an "
                                                  "addition to the OpenAI format)")
    abstained: bool = Field(description="the documents do not answer the question (an addition to the OpenAI format)")


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One ``data:`` event: first the role, then pieces of the content, then finish_reason 'stop' (with the
    citations), then, with ``stream_options.include_usage``, the usage with no choices; then ``data: [DONE]``."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    citations: list[Citation] | None = None
    abstained: bool | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = Field(description="when the loaded index was built (Unix time)")
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorBody(BaseModel):
    message: str
    type: str = Field(description="invalid_request_error, not_found_error or server_error")
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody

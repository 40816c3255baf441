"""Optional LLM answers through LangChain's chat-model interface, never trusted blindly.

With ``ASSISTANT_LLM_BASE_URL`` and ``ASSISTANT_LLM_MODEL`` set (any OpenAI-compatible server:
llama.cpp's llama-server, vLLM, Ollama, ...), the model writes the answer from the retrieved evidence,
citing it as [n]. The reply is streamed under one deadline (``ASSISTANT_LLM_TIMEOUT``) and capped at
``MAX_TOKENS``. It is kept only if it cites evidence that exists, every number in it occurs whole in a
cited quote, and it is a finished Korean answer rather than an echo of the prompt or a loop; on any
failure, time-out or error the extractive answer stands, and ``facts`` says why.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from assistant.answering.guard import unsupported_numbers
from assistant.answering.models import AnswerResponse
from assistant.settings import Settings

SYSTEM_PROMPT = (
    "당신은 공공기관 계획 문서에 대해 답하는 도우미입니다. 아래 [근거]만 사용해 한국어로 짧게 답하세요. "
    "문장마다 근거 번호를 [1]처럼 붙이세요. 전화번호, 날짜, 금액, 숫자는 근거에 적힌 그대로 옮기고 새로 만들지 마세요. "
    "근거에 답이 없으면 '문서에서 찾지 못했습니다'라고 답하세요."
)
# A short answer is one to three sentences: ~60-150 tokens of Korean. A model that loops is cut off here, and an
# answer cut off is not used (it may end inside a number).
MAX_TOKENS = 256
MIN_HANGUL_SHARE = 0.5  # of the letters; Gemma 270M drifts into English, Chinese and word pieces like "iatrics"

_MARKER = re.compile(r"\[(\d{1,2})\]")
# marker spellings small models use for [n]: 【1】 ［1］ [ 1 ] [근거 1] [1, 2] [1,2,3]
_LOOSE_MARKER = re.compile(r"[\[【［]\s*(?:근거\s*)?(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_HEADERS = ("[근거]", "[질문]")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LETTER = re.compile(r"[^\W\d_]")


class LLMTimeout(Exception):
    pass


class LLMWriter:
    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI  # the 'llm' extra; only needed when the mode is on

        self.timeout = settings.llm_timeout
        self.model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout,  # connect and each read; the whole answer has its own deadline below
            max_retries=0,
            temperature=0,
            max_tokens=MAX_TOKENS,
            streaming=True,
        )

    def rewrite(self, question: str, extractive: AnswerResponse) -> AnswerResponse:
        """The model's answer when it passes the checks, else the extractive one with the reason."""
        if extractive.abstained or not extractive.citations:
            return extractive
        evidence = "\n\n".join(f"[{c.n}] ({c.title} · {c.section})\n{c.text}" for c in extractive.citations)
        messages = [("system", SYSTEM_PROMPT), ("human", f"[근거]\n{evidence}\n\n[질문]\n{question}")]
        try:
            # a reply that already echoes the prompt or loops is left at once: it cannot pass, and the model's
            # only slot is freed seconds sooner (Gemma 270M does this to every question)
            text, finish_reason = self.stream(messages, give_up=lambda so_far: bool(
                _echo(so_far, question, extractive) or _loops(so_far, finished_only=True)))
        except LLMTimeout:
            return _fallback(extractive, f"llm error: time-out, no complete answer within {self.timeout:g} s")
        except Exception as exc:  # connection refused, HTTP error, bad JSON: the extractive answer stands
            return _fallback(extractive, f"llm error: {type(exc).__name__}")
        text = normalize_markers(text.strip())
        reason = rejection(text, finish_reason, question, extractive)
        if reason:
            return _fallback(extractive, reason)
        cited = {int(n) for n in _MARKER.findall(text)}
        kept = [c for c in extractive.citations if c.n in cited]
        return extractive.model_copy(update={"answer": text, "citations": kept,
                                             "facts": extractive.facts + [{"type": "writer", "value": "llm"}]})

    def stream(self, messages, give_up: Callable[[str], bool] | None = None) -> tuple[str, str | None]:
        """The streamed reply and its finish reason ("abandoned" when ``give_up`` said so of the reply so far),
        or LLMTimeout once the deadline passes.

        The tokens are read on a worker thread so the deadline holds whatever the server does: a model slower
        than the deadline is cut off then, not when the HTTP client's per-read time-out would notice. The worker
        then leaves the stream at its next token, which closes the connection, and llama.cpp's server stops
        generating for a client that has gone (a non-streamed request would keep its only slot busy to the end).
        """
        parts: list[str] = []
        finish: list[str] = []
        failure: list[Exception] = []
        done, cancelled = threading.Event(), threading.Event()

        def pump() -> None:
            try:
                for chunk in self.model.stream(messages):
                    if cancelled.is_set():
                        break
                    parts.append(str(chunk.content))
                    if reason := chunk.response_metadata.get("finish_reason"):
                        finish.append(reason)
                    elif give_up is not None and chunk.content and give_up("".join(parts)):
                        finish.append("abandoned")
                        break
            except Exception as exc:  # raised again on the caller's thread
                failure.append(exc)
            finally:
                done.set()

        threading.Thread(target=pump, name="llm-stream", daemon=True).start()
        if not done.wait(self.timeout):
            cancelled.set()
            raise LLMTimeout
        if failure:
            raise failure[0]
        return "".join(parts), (finish[-1] if finish else None)


def normalize_markers(text: str) -> str:
    """Harmless marker spellings as [n]: "【1】" -> "[1]", "[1, 2]" -> "[1][2]", "[근거 2]" -> "[2]"."""
    return _LOOSE_MARKER.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,，、]\s*", m.group(1))), text)


def rejection(text: str, finish_reason: str | None, question: str, extractive: AnswerResponse) -> str | None:
    """Why the model's answer cannot be used, or None. The first words of each reason are stable (counted)."""
    if not text:
        return "llm answer is empty"
    # what went wrong before the symptom: a model that echoes the prompt or loops also runs into the token cap
    if echoed := _echo(text, question, extractive):
        return f"llm answer echoes the prompt: {echoed}"
    if _loops(text):
        return "llm answer repeats itself"
    if finish_reason == "length":
        return f"llm answer cut off at the {MAX_TOKENS}-token cap"
    letters = _LETTER.findall(_MARKER.sub("", text))
    if letters and len(_HANGUL.findall(text)) / len(letters) < MIN_HANGUL_SHARE:
        return "llm answer is not in Korean"
    cited = {int(n) for n in _MARKER.findall(text)}
    known = {c.n for c in extractive.citations}
    if not cited or not cited <= known:
        return "llm answer cites no evidence or evidence that does not exist"
    # whole numbers only: "031-8073-834", an answer cut short, is not supported by a quote with "031-8073-8344"
    invented = unsupported_numbers(text, (c.text for c in extractive.citations if c.n in cited), whole=True)
    if invented:
        return f"llm answer has numbers its quotes lack: {', '.join(invented)}"
    return None


def _echo(text: str, question: str, extractive: AnswerResponse) -> str | None:
    """What of the prompt the answer copies instead of answering: its headers, instructions, question or the
    evidence's title lines (a base model continues the prompt rather than answering it)."""
    if any(header in text for header in _HEADERS):
        return "its [근거]/[질문] headers"
    flat = re.sub(r"\s+", "", text)
    if any(len(s) >= 12 and re.sub(r"\s+", "", s) in flat for s in _SENTENCE_END.split(SYSTEM_PROMPT)):
        return "its instructions"
    if flat.startswith(re.sub(r"\s+", "", question)):
        return "the question"
    if any(f"({c.title} · {c.section})" in text for c in extractive.citations):
        return "the evidence's title lines"
    return None


def _loops(text: str, finished_only: bool = False) -> bool:
    """The same sentence or line twice (a greedy small model's loop); ``finished_only``: of a reply still being
    written, its last sentence is left out (it may go on differently)."""
    pieces = _SENTENCE_END.split(text)
    sentences = [re.sub(r"\s+", " ", _MARKER.sub("", s)).strip() for s in (pieces[:-1] if finished_only else pieces)]
    sentences = [s for s in sentences if len(s) >= 8]
    return len(sentences) != len(set(sentences))


def _fallback(extractive: AnswerResponse, reason: str) -> AnswerResponse:
    return extractive.model_copy(update={"facts": extractive.facts + [{"type": "llm_fallback", "reason": reason}]})

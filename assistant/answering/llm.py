"""Optional LLM answers through LangChain's chat-model interface, never trusted blindly.

With ``ASSISTANT_LLM_BASE_URL`` and ``ASSISTANT_LLM_MODEL`` set (any OpenAI-compatible server:
vLLM, Ollama, ...), the model writes the answer from the retrieved evidence, citing it as [n].
Its answer is kept only if it cites evidence that exists and every number in it occurs in a
cited quote; on any failure, time-out or error the extractive answer stands, and ``facts``
says why.
"""

from __future__ import annotations

import re

from assistant.answering.guard import unsupported_numbers
from assistant.answering.models import AnswerResponse
from assistant.settings import Settings

SYSTEM_PROMPT = (
    "당신은 공공기관 계획 문서에 대해 답하는 도우미입니다. 아래 [근거]만 사용해 한국어로 짧게 답하세요. "
    "문장마다 근거 번호를 [1]처럼 붙이세요. 전화번호, 날짜, 금액, 숫자는 근거에 적힌 그대로 옮기고 새로 만들지 마세요. "
    "근거에 답이 없으면 '문서에서 찾지 못했습니다'라고 답하세요."
)
_MARKER = re.compile(r"\[(\d{1,2})\]")


class LLMWriter:
    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI  # the 'llm' extra; only needed when the mode is on

        self.model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0,
        )

    def rewrite(self, question: str, extractive: AnswerResponse) -> AnswerResponse:
        """The model's answer when it passes the checks, else the extractive one with the reason."""
        if extractive.abstained or not extractive.citations:
            return extractive
        evidence = "\n\n".join(f"[{c.n}] ({c.title} · {c.section})\n{c.text}" for c in extractive.citations)
        messages = [("system", SYSTEM_PROMPT), ("human", f"[근거]\n{evidence}\n\n[질문]\n{question}")]
        try:
            text = str(self.model.invoke(messages).content).strip()
        except Exception as exc:  # time-out, connection refused, HTTP error, bad JSON: the extractive answer stands
            return _fallback(extractive, f"llm error: {type(exc).__name__}")
        cited = {int(n) for n in _MARKER.findall(text)}
        known = {c.n for c in extractive.citations}
        if not text or not cited or not cited <= known:
            return _fallback(extractive, "llm answer cites no evidence or evidence that does not exist")
        invented = unsupported_numbers(text, (c.text for c in extractive.citations if c.n in cited))
        if invented:
            return _fallback(extractive, f"llm answer has numbers its quotes lack: {', '.join(invented)}")
        kept = [c for c in extractive.citations if c.n in cited]
        return extractive.model_copy(update={"answer": text, "citations": kept,
                                             "facts": extractive.facts + [{"type": "writer", "value": "llm"}]})


def _fallback(extractive: AnswerResponse, reason: str) -> AnswerResponse:
    return extractive.model_copy(update={"facts": extractive.facts + [{"type": "llm_fallback", "reason": reason}]})

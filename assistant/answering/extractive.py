"""The simplest honest answer: the best evidence itself, quoted and cited.

It never writes a word the source does not contain, so it cannot invent a number; the
answering issue replaces it with fact templates and sentence selection.
"""

from __future__ import annotations

from assistant.answering.models import AnswerResponse, Citation
from assistant.retrieval import Hit

NO_ANSWER = "문서에서 이 질문에 대한 내용을 찾지 못했습니다."
NEAREST = "가까운 내용은 아래 출처를 참고하세요."
MAX_ANSWER_CHARS = 500


def answer_from_hits(hits: list[Hit], max_citations: int = 3) -> AnswerResponse:
    if not hits:
        return AnswerResponse(answer=NO_ANSWER, abstained=True)
    citations = [
        Citation(n=n, doc=h.chunk.doc_id, title=h.chunk.doc_title, section=h.chunk.section,
                 text=h.chunk.quote, score=round(h.score, 4), chunk_id=h.chunk.chunk_id)
        for n, h in enumerate(hits[:max_citations], start=1)
    ]
    quote = hits[0].chunk.quote.strip()
    if len(quote) > MAX_ANSWER_CHARS:
        quote = quote[:MAX_ANSWER_CHARS].rsplit("\n", 1)[0] or quote[:MAX_ANSWER_CHARS]
    return AnswerResponse(answer=f"{quote} [1]", citations=citations)


def abstain(hits: list[Hit]) -> AnswerResponse:
    """The documents do not answer: say so, and offer the nearest sections as leads."""
    response = answer_from_hits(hits)
    response.answer = f"{NO_ANSWER} {NEAREST}" if hits else NO_ANSWER
    response.abstained = True
    response.suggestions = list(dict.fromkeys(h.chunk.section for h in hits[:3] if h.chunk.section))
    return response

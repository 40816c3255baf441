"""Extractive answers: lines of the evidence itself, quoted and cited.

They never write a word the source does not contain, so they cannot invent a number.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.answering.models import AnswerResponse, Citation, Evidence
from assistant.retrieval import Hit
from assistant.retrieval.analyzer import AnalyzedText, analyze

NO_ANSWER = "문서에서 이 질문에 대한 내용을 찾지 못했습니다."
NEAREST = "가까운 내용은 아래 출처를 참고하세요."
MAX_ANSWER_CHARS = 500


def answer_from_hits(hits: list[Hit], max_citations: int = 3) -> AnswerResponse:
    if not hits:
        return AnswerResponse(answer=NO_ANSWER, abstained=True)
    citations = [
        Citation.of_chunk(n, h.chunk, h.score)
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


@lru_cache(maxsize=65536)
def line_terms(line: str) -> frozenset[str]:
    """The terms of a document line; lines recur across questions, and Kiwi is the slow part of composing."""
    return frozenset(analyze(line))


_DATE = re.compile(r"\d{2,4}\s*[.년]\s*\d{1,2}|\d{1,2}\s*월|\d{1,2}\s*\.\s*\d{1,2}\s*\.")
_NUMBER = re.compile(r"\d")


def compose(question: str | AnalyzedText, hits: list[Hit], intent: str = "general", max_chars: int = MAX_ANSWER_CHARS,
            evidence: int = 3, sides: tuple[str | AnalyzedText, ...] = ()) -> AnswerResponse:
    """The lines of the best evidence that share the most with the question, each cited.

    Lines, not sentences: in these documents a line is a bullet, a table row or a title,
    the unit a reader quotes. Lines sharing words with the question come first, for "when"
    and "how much" questions lines with a date or a number too; the chosen lines are shown
    in document order, within ``max_chars``. With ``sides`` (the two halves of a comparison)
    the lines are picked by turns, the best for each side and then for the whole question,
    so each side gets its fact even when its evidence ranks lower. The question and its sides may come analysed
    (the ``Question``'s readings): their terms are then not computed again.
    """
    if not hits:
        return AnswerResponse(answer=NO_ANSWER, abstained=True)
    parts = [question, *sides]
    wanted = [set(AnalyzedText.of(part).terms) for part in parts]
    weight = (lambda n: n ** -0.5) if sides else (lambda n: 1 / n)  # each side's evidence ranks lower than the first
    # per part: (score, hit number, line position, line)
    scored: list[list[tuple[float, int, int, str]]] = [[] for _ in parts]
    for n, hit in enumerate(hits[:evidence], start=1):
        label_overlap = [0] * len(parts)  # a short label line ("미션", "비전") lends its match to the value below it
        for position, raw in hit.chunk.lines():
            line = raw.strip()
            if not line:
                continue
            position += raw.index(line)  # the line's own offset in the document: what a client highlights
            terms = line_terms(line)
            overlaps = [len(w & terms) for w in wanted]
            if len(line) >= 4:
                typed = (intent == "schedule" and _DATE.search(line)) or (intent == "number" and _NUMBER.search(line))
                for part, overlap in enumerate(overlaps):
                    score = (max(overlap, label_overlap[part]) + (0.5 if typed else 0.0) + 0.2) * weight(n)
                    scored[part].append((score, n, position, line))
            label_overlap = overlaps if len(line) <= 12 else [0] * len(parts)
    queues = [sorted(lines, key=lambda s: -s[0]) for lines in scored]
    turns = [*range(1, len(parts)), 0] if sides else [0]  # each side first, then the whole question
    chosen: list[tuple[int, int, str]] = []
    used = 0
    while any(queues[p] for p in turns):
        for part in turns:
            while queues[part]:
                _, n, position, line = queues[part].pop(0)
                if any(line == other for _, _, other in chosen):
                    continue
                if used + len(line) > max_chars and chosen:
                    continue
                chosen.append((n, position, line))
                used += len(line) + 5
                break
    chosen.sort()
    cited = sorted({n for n, _, _ in chosen})
    renumber = {old: new for new, old in enumerate(cited, start=1)}
    answer = "\n".join(f"{line} [{renumber[n]}]" for n, _, line in chosen)
    evidence = [Evidence(n=renumber[n], doc=hits[n - 1].chunk.doc_id, start=position, end=position + len(line), text=line)
                for n, position, line in chosen]
    citations = [
        Citation.of_chunk(renumber[n], hits[n - 1].chunk, hits[n - 1].score)
        for n in cited
    ]
    return AnswerResponse(answer=answer, citations=citations, evidence=evidence)

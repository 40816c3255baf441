"""Does the evidence hold what the question asks for? If not, the assistant abstains.

Retrieval always finds *something* about a named program; whether it holds the asked-for
attribute is a separate question. Each check looks for that attribute in the top evidence:
- a year the question names (``2025년 예산``) must occur in it;
- a rare attribute (팩스, 주소, 층, 대관료, 수당, 점수) must occur in it;
- "who is the 원장" needs the role next to a person's name;
- "on what day" needs a date on a line about the asked thing.
Scores alone cannot make this call: unanswerable questions in these documents retrieve
passages as well as answerable ones (see the evaluation report).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from assistant.analysis import tokenize
from assistant.answering.extractive import line_terms
from assistant.facts.dates import find_dates
from assistant.question.intent import CONTACT_WORDS
from assistant.retrieval import Hit
from assistant.retrieval.analyzer import AnalyzedText, text_of

EVIDENCE = 3
YEAR_PASSAGE_FOCUS = 0.5  # a passage holding half the question's focus is about it (tune: no answer lost at 0.5-0.7)
_NO_YEAR = "the documents say nothing for "
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?:년|\s|$|도)")
# asked attribute -> what the evidence must then contain
_RARE_ATTRIBUTES = [
    (re.compile(r"팩스"), re.compile(r"팩스|FAX|fax")),
    (re.compile(r"주소"), re.compile(r"주소|소재지|[가-힣]+로\s*\d+")),
    (re.compile(r"몇\s*층|층에"), re.compile(r"\d+\s*층")),
    (re.compile(r"대관료"), re.compile(r"대관료|대관\s*비")),
    (re.compile(r"수당"), re.compile(r"수당[^\n]{0,20}\d|\d[^\n]{0,20}수당")),
    (re.compile(r"점수|몇\s*점"), re.compile(r"\d+(?:\.\d+)?\s*점(?![검유차심수])")),
]
_AMOUNT_QUESTION = re.compile(r"예산|사업비|제작비|비용|금액")
# an amount with its unit, or a unit stated once for a table: "(단위: 백만원)" above it, "예산(백만원)" as a column name
_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:원|천원|만원|억|백만원)|\(\s*(?:단위\s*:?\s*)?(?:천|만|백만|억)?원\s*\)")
_PERSON_QUESTION = re.compile(r"성함|이름|누구|누가")
_TOP_ROLES = ("이사장", "부원장", "원장", "센터장", "사장", "위원장", "소장", "회장")
_DAY_QUESTION = re.compile(r"며칠|몇\s*일|날짜|몇\s*월|정확한\s*날|언제")
_GENERIC = CONTACT_WORDS | {"정확", "날짜", "며칠", "언제", "얼마", "규모", "전체", "예산", "총", "몇"}


def unsupported_reason(question: str | AnalyzedText, hits: list[Hit], intent: str = "general",
                       about: Callable[[str], float] | None = None) -> str | None:
    """Why the top evidence cannot answer the question, or None when it may.

    ``about`` says how much of the question's focus a text holds: a year the question names must then be
    written in a passage about the question, not just anywhere in the evidence. The question may come analysed
    (the ``Question``'s reading of its query): its terms are then not computed again.
    """
    analysed, question = question, text_of(question)
    evidence = "\n".join(h.chunk.quote for h in hits[:EVIDENCE])
    passages = [f"{h.chunk.doc_title}\n{h.chunk.section}\n{h.chunk.quote}" for h in hits[:EVIDENCE + 2]]
    if about is not None:
        passages = [p for p in passages if about(p) >= YEAR_PASSAGE_FOCUS] or passages[:1]
    wide = "\n".join(passages)
    for year in _YEAR.findall(question):
        if year not in wide and f"'{year[2:]}" not in wide and f"’{year[2:]}" not in wide:
            return f"{_NO_YEAR}{year}"
    for asked, needed in _RARE_ATTRIBUTES:
        if asked.search(question) and not needed.search(evidence):
            return f"the evidence has no {asked.pattern}"
    if intent == "number" and _AMOUNT_QUESTION.search(question) and not any(
        _AMOUNT_QUESTION.search(h.chunk.quote + h.chunk.section) and _AMOUNT.search(h.chunk.quote) for h in hits[:EVIDENCE]
    ):
        return "the evidence states no amount for it"
    role = next((r for r in _TOP_ROLES if r in question), None)
    if role and _PERSON_QUESTION.search(question) and not _names_role(evidence, role):
        return f"the evidence names no {role}"
    if _DAY_QUESTION.search(question) and not _dated_line_about(analysed, hits[:EVIDENCE]):
        return "the evidence gives no date for it"
    return None


def missing_year(reason: str | None) -> str | None:
    """The year a reason says the documents do not cover, if that is the reason."""
    if reason and reason.startswith(_NO_YEAR):
        return reason.removeprefix(_NO_YEAR)
    return None


def _names_role(evidence: str, role: str) -> bool:
    """The role written next to a person's name: "원장 홍길동", "홍길동 원장", "원장: 홍길동"."""
    for line in evidence.split("\n"):
        if role not in line:
            continue
        for name in _names_in(line):
            if abs(line.find(name) - line.find(role)) <= len(role) + 6:
                return True
    return False


@lru_cache(maxsize=16384)
def _names_in(line: str) -> tuple[str, ...]:
    """Kiwi's two-to-four-syllable proper nouns of a document line, in order; lines recur across questions."""
    return tuple(token.form for token in tokenize(line)
                 if token.tag == "NNP" and re.fullmatch(r"[가-힣]{2,4}", token.form))


def _dated_line_about(question: str | AnalyzedText, hits: list[Hit]) -> bool:
    """A dated line sharing a word with the question other than the organization's own name."""
    topic = {t for t in AnalyzedText.of(question).terms if t not in _GENERIC and len(t) > 1}
    for hit in hits:
        own = line_terms(f"{hit.chunk.organization} {hit.chunk.doc_title}")
        wanted = topic - own
        for line in hit.chunk.quote.split("\n"):
            if _has_date(line) and (not wanted or wanted & line_terms(line)):
                return True
    return False


def _has_date(line: str) -> bool:
    """A day or a month (a bare year does not say when)."""
    return any(m.precision != "year" or m.is_range for m in find_dates(line, default_year=2000))

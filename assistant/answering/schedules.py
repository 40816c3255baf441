"""Questions about a period ("다음 달 일정", "올해 3월에 뭐 해?", "내년 상반기 행사") answered from the
schedule facts: the dated items whose dates overlap the period, about the asked topic if one is named.

"Today" is a setting (``ASSISTANT_TODAY``), so a plan written for 2024 can be asked about as
if it were 2024, and answers are reproducible.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from assistant.answering.extractive import line_terms
from assistant.answering.models import AnswerResponse, Citation
from assistant.chunking import Chunk
from assistant.facts import ScheduleRecord
from assistant.facts.dates import resolve_relative
from assistant.retrieval.analyzer import analyze

MAX_ITEMS = 6
NOTHING = "문서에서 그 기간의 일정을 찾지 못했습니다."
_TIME_WORDS = {"일정", "행사", "계획", "예정", "언제", "뭐", "무엇", "있", "하", "올해", "내년", "작년", "다음", "이번",
               "지난", "달", "월", "상반기", "하반기", "분기", "주", "일", "년", "기간", "동안"}


_ASKS_WHEN = re.compile(r"언제|며칠|날짜|몇\s*월|몇\s*일")
MAX_PERIOD_DAYS = 190  # a month, a quarter, a half year: "2024년 예산" names a topic, not a period


def find_period(question: str, today: datetime.date) -> tuple[str, datetime.date, datetime.date] | None:
    """The period a "what happens then?" question names, or None.

    "언제 해?" asks for the date of something (retrieval answers that); only a question that
    names a period of at most half a year and asks what falls in it is answered from here.
    """
    if _ASKS_WHEN.search(question):
        return None
    words = question.replace("?", " ").split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            expression = " ".join(words[start:start + size])
            period = resolve_relative(expression, today)
            if period is not None and (period[1] - period[0]).days <= MAX_PERIOD_DAYS:
                return expression, period[0], period[1]
    return None


def answer_schedule(question: str, period: tuple[str, datetime.date, datetime.date],
                    records: Iterable[ScheduleRecord], chunks_by_id: dict[str, Chunk]) -> AnswerResponse:
    expression, first, last = period
    low, high = first.isoformat(), last.isoformat()
    topic = {t for t in analyze(question.replace(expression, " "))
             if len(t) > 1 and t not in _TIME_WORDS and not any(w in t for w in ("일정", "행사", "계획"))}
    found = [r for r in records if r.start_date <= high and r.end_date >= low and _says_what(r)]
    if topic:  # the most specific word asked (the longest, often a compound) must be there
        key = max(topic, key=len)
        found = [r for r in found if key in line_terms(f"{r.what} {r.section}")]  # document text: cached
    if not found:
        return AnswerResponse(answer=NOTHING, abstained=True, intent="schedule")
    found.sort(key=lambda r: (r.start_date < low, r.start_date, r.end_date))  # what starts in the period first
    numbers: dict[str, int] = {}
    lines = []
    for record in found[:MAX_ITEMS]:
        n = numbers.setdefault(record.chunk_id, len(numbers) + 1)
        lines.append(f"{record.when} {record.what} [{n}]")
    citations = [
        Citation.of_chunk(n, chunk, 1.0)
        for chunk_id, n in numbers.items() if (chunk := chunks_by_id.get(chunk_id)) is not None
    ]
    more = f" 외 {len(found) - MAX_ITEMS}건" if len(found) > MAX_ITEMS else ""
    facts = [{"type": "schedule", "when": r.when, "iso": r.iso, "what": r.what} for r in found[:MAX_ITEMS]]
    return AnswerResponse(answer="\n".join(lines) + more, intent="schedule", citations=citations, facts=facts)


def _says_what(record: ScheduleRecord) -> bool:
    """A record whose line says what happens (not a bare cell of dates)."""
    return len(re.findall(r"[가-힣]", record.what)) >= 4

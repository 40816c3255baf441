"""Hits -> a reading: every answer unit scored against the analysed question, the best candidates first.

A unit's score adds, with the weights of ``ReaderWeights``:
- topic: how much of the question's focus the unit (or, weaker, its labels and section) holds;
- attribute: the asked attribute (예산, 연구책임자) in the unit's key or column name;
- typed: the unit holds a span of the asked type (a count for "몇 명", a date for "언제");
- prior: its chunk's retrieval rank.
A table cell is scored as the intersection of its row (the focus in the row's cells) and its column
(the attribute in the column's name, a value of the asked type in the cell).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.question import AnswerType, Question
from assistant.reading.spans import BARE_NUMBER, Span, find_spans
from assistant.reading.units import AnswerUnit, UnitKind, units_of
from assistant.reading.vocabulary import squash, uniform
from assistant.retrieval import Hit
from assistant.retrieval.analyzer import analyze

READ_HITS = 10  # the top chunks the reader splits into units

# which span kinds answer which question type
SATISFIES: dict[AnswerType, frozenset[AnswerType]] = {
    AnswerType.COUNT: frozenset({AnswerType.COUNT}),
    AnswerType.AMOUNT: frozenset({AnswerType.AMOUNT}),
    AnswerType.PERCENT: frozenset({AnswerType.PERCENT}),
    AnswerType.DATE: frozenset({AnswerType.DATE, AnswerType.PERIOD}),
    AnswerType.PERIOD: frozenset({AnswerType.PERIOD, AnswerType.DATE}),
    AnswerType.PERSON: frozenset({AnswerType.PERSON}),
    AnswerType.CONTACT: frozenset({AnswerType.PERSON}),
    AnswerType.ORGANIZATION: frozenset({AnswerType.ORGANIZATION}),
    AnswerType.PLACE: frozenset({AnswerType.PLACE}),
    AnswerType.TITLE: frozenset({AnswerType.TITLE}),
}
NUMERIC = frozenset({AnswerType.COUNT, AnswerType.AMOUNT, AnswerType.PERCENT})


@dataclass(frozen=True)
class ReaderWeights:
    """Set by hand on the tune split of eval/qa.jsonl (see README: Answers)."""

    topic: float = 1.0
    context: float = 0.5  # a focus term found only in the unit's labels or section counts this much
    attribute: float = 0.35
    typed: float = 0.5
    prior: float = 0.35  # times 1 / rank ** rank_power
    cell_row: float = 1.0
    min_topic: float = 0.75  # below this share of the focus, a unit is not about the question
    rank_power: float = 0.5
    hits: int = READ_HITS


@dataclass(frozen=True)
class Candidate:
    unit: AnswerUnit
    score: float
    topic: float
    typed: bool
    spans: tuple[Span, ...]
    attribute: bool = False  # the asked attribute names the unit's column or key  # spans of the asked type in the unit's text


@dataclass
class Reading:
    question: Question
    candidates: list[Candidate] = field(default_factory=list)  # best first

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@lru_cache(maxsize=65536)
def terms_of(text: str) -> frozenset[str]:
    return frozenset(analyze(text))


def read(question: Question, hits: list[Hit], weights: ReaderWeights | None = None,
         focus: frozenset[str] | None = None, term_weight: Callable[[str], float] = uniform) -> Reading:
    """Score every unit of the top hits; ``focus`` overrides the question's (one side of a comparison);
    ``term_weight`` says how telling each focus word is (``TermWeights`` of the index)."""
    weights = weights or ReaderWeights()
    focus = question.focus if focus is None else focus
    focus_weights = {t: term_weight(t) for t in focus}
    wanted = SATISFIES.get(question.compared or question.answer_type)
    candidates = [_score(question, unit, focus_weights, wanted, weights) for unit in units_of(hits[:weights.hits])]
    candidates.sort(key=lambda c: -c.score)
    return Reading(question, candidates)


def _coverage(focus: dict[str, float], own: str, context: str, weights: ReaderWeights) -> float:
    """The weighted share of focus words in the unit (``own``), or weaker in its labels (``context``)."""
    total = sum(focus.values())
    if not total:
        return 0.5
    held = sum(w * (1.0 if t in own else weights.context if t in context else 0.0) for t, w in focus.items())
    return held / total


def _score(question: Question, unit: AnswerUnit, focus: dict[str, float], wanted: frozenset[AnswerType] | None,
           weights: ReaderWeights) -> Candidate:
    section = unit.hit.chunk.section_path[-2:] if unit.hit.chunk.section_path else []
    context = squash(" ".join([unit.label, *section]))
    if unit.kind is UnitKind.CELL and unit.cell is not None:
        topic = _coverage(focus, squash(unit.cell.row_text), context, weights) * weights.cell_row
        column = squash(unit.cell.column_header)
        attribute = bool(column) and (any(t in column for t in question.attribute if len(t) >= 2)
                                      or _names_type(column, question.compared or question.answer_type))
    else:
        topic = _coverage(focus, squash(unit.text), context, weights)
        attribute = any(t in squash(unit.text[:unit.value_start] + unit.label) for t in question.attribute)
    spans = _typed_spans(unit, wanted)
    if not spans and unit.kind is UnitKind.CELL and unit.cell is not None and unit.text.strip() \
            and _names_type(squash(unit.cell.column_header), question.compared or question.answer_type):
        spans = (Span(question.compared or question.answer_type, 0, len(unit.text), unit.text),)  # "개최일: 1.12."
    typed = bool(spans)
    score = (weights.topic * topic + weights.attribute * attribute + weights.typed * typed
             + weights.prior / unit.rank ** weights.rank_power)
    return Candidate(unit, score, topic, typed, spans, attribute)


# column names that hold values of a type: "연구책임자" holds people, "소요예산 (백만원)" amounts
COLUMN_CUES: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.PERSON: re.compile(r"책임자|담당자|성명|이름|연구자|대표"),
    AnswerType.CONTACT: re.compile(r"연락처|전화|담당"),
    AnswerType.AMOUNT: re.compile(r"예산|금액|사업비|비용|원\)|원$|보증금|임대료"),
    AnswerType.COUNT: re.compile(r"인원|수$|명\)|건수|개수"),
    AnswerType.DATE: re.compile(r"일자|일시|날짜|시기|일$|개최"),
    AnswerType.PERIOD: re.compile(r"기간|종료|시작|일정"),
    AnswerType.ORGANIZATION: re.compile(r"부서|기관|발주|주관|소관|요청|추천"),
    AnswerType.PLACE: re.compile(r"장소|위치|주소"),
    AnswerType.PERCENT: re.compile(r"비율|율$|률$|%"),
}


def _names_type(column: str, answer_type: AnswerType) -> bool:
    cue = COLUMN_CUES.get(answer_type)
    return bool(cue and cue.search(column))


def _typed_spans(unit: AnswerUnit, wanted: frozenset[AnswerType] | None) -> tuple[Span, ...]:
    if wanted is None:
        return ()
    spans = tuple(find_spans(unit.text, wanted))
    if not spans and unit.kind is UnitKind.CELL and wanted & NUMERIC:
        # a table cell holds the bare number; its unit is in the column name or the table's note
        spans = tuple(Span(next(iter(wanted)), m.start(), m.end(), m.group(0)) for m in BARE_NUMBER.finditer(unit.text))
    return spans

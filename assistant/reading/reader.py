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
from dataclasses import dataclass, field, replace

from assistant.question import AnswerType, Question
from assistant.reading.spans import BARE_NUMBER, Span, find_spans
from assistant.reading.units import AnswerUnit, Squashed, UnitKind, units_of
from assistant.reading.vocabulary import squash, uniform
from assistant.retrieval import Hit

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
    trail: float = 0.8  # a focus term found in the item above the unit counts this much
    context: float = 0.5  # a focus term found only in the unit's labels or section counts this much
    attribute: float = 0.35
    typed: float = 0.5
    prior: float = 0.35  # times 1 / rank ** rank_power
    cell_row: float = 1.0
    min_topic: float = 0.75  # below this share of the focus, a unit is not about the question
    lead_focus: float = 0.5  # a value leads the answer when its unit and the items above hold this share
    # (tune split, concise accuracy: 0.3 0.687, 0.4 0.701, 0.5 0.716, 0.6 0.701, 0.75 0.701, 0.85 0.687, off 0.672)
    rank_power: float = 0.5
    hits: int = READ_HITS


@dataclass(frozen=True)
class Candidate:
    unit: AnswerUnit
    score: float
    topic: float
    typed: bool
    spans: tuple[Span, ...]  # spans of the asked type in the unit's text
    attribute: bool = False  # the asked attribute names the unit's column or key
    signals: dict[str, float] = field(default_factory=dict)  # what the score is made of, for the learned scorer


@dataclass
class Reading:
    question: Question
    candidates: list[Candidate] = field(default_factory=list)  # best first

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


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


def _shares(focus: dict[str, float], own: str, trail: str, context: str) -> tuple[float, float, float]:
    """The weighted shares of the focus found in the unit itself, else in the items it sits under (``trail``),
    else only in its labels and section (``context``)."""
    total = sum(focus.values())
    if not total:
        return 0.5, 0.0, 0.0
    shares = [0.0, 0.0, 0.0]
    for term, weight in focus.items():
        where = 0 if term in own else 1 if term in trail else 2 if term in context else None
        if where is not None:
            shares[where] += weight / total
    return shares[0], shares[1], shares[2]


def _squashed(unit: AnswerUnit) -> Squashed:
    """The unit's matched texts: laid out with it by ``units_of``, else made here."""
    if unit.squashed is not None:
        return unit.squashed
    section = unit.hit.chunk.section_path[-2:] if unit.hit.chunk.section_path else []
    cell = unit.kind is UnitKind.CELL and unit.cell is not None
    return Squashed(own=squash(unit.cell.row_text if cell else unit.text), trail=squash(" ".join(unit.trail)),
                    context=squash(" ".join([unit.label, *section])),
                    key=squash(unit.text[:unit.value_start] + unit.label),
                    owner=squash(f"{unit.hit.chunk.organization} {unit.hit.chunk.doc_title}"),
                    column=squash(unit.cell.column_header) if unit.cell is not None else "")


def _score(question: Question, unit: AnswerUnit, focus: dict[str, float], wanted: frozenset[AnswerType] | None,
           weights: ReaderWeights) -> Candidate:
    flat = _squashed(unit)
    cell = unit.kind is UnitKind.CELL and unit.cell is not None
    if cell:
        # a row is identified by what the question names besides the document's own organization
        # ("대전세종연구원 예산" names no row of 대전세종연구원's tables)
        focus = {t: w for t, w in focus.items() if t not in flat.owner}
        if not focus:
            focus = {"\u0000": 1.0}  # nothing left to find: the row is not identified
    own, in_trail, in_context = _shares(focus, flat.own, flat.trail, flat.context)
    topic = (own + weights.trail * in_trail + weights.context * in_context) * (weights.cell_row if cell else 1.0)
    if cell:
        column = flat.column
        attribute = bool(column) and (any(t in column for t in question.attribute if len(t) >= 2)
                                      or _names_type(column, question.compared or question.answer_type))
    else:
        attribute = any(t in flat.key for t in question.attribute)
    spans = _typed_spans(unit, wanted)
    if question.counter and spans and (counted := tuple(s for s in spans if s.text.endswith(question.counter))):
        spans = counted  # "몇 명" wants the count in 명, not the 38개동 beside it
    elif question.counter and spans and question.answer_type is AnswerType.COUNT:
        spans = ()
    asked = question.compared or question.answer_type
    if not spans and cell and unit.text.strip() and _names_type(flat.column, asked) \
            and (asked not in NUMERIC or any(ch.isdigit() for ch in unit.text)):
        spans = (Span(asked, 0, len(unit.text), unit.text),)  # the column says what it holds: "개최일" -> "1.12."
    typed = bool(spans)
    score = (weights.topic * topic + weights.attribute * attribute + weights.typed * typed
             + weights.prior / unit.rank ** weights.rank_power)
    signals = {"own": own, "trail": in_trail, "context": in_context, "attribute": float(attribute),
               "typed": float(typed), "valued": float(wanted is not None)}
    return Candidate(unit, score, topic, typed, spans, attribute, signals)


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


RERANK_PRIOR = 1.0  # weight of 1/rank beside a chunk's best unit score; set on the tune split (hit@3, hit@5)


def rerank(reading: Reading, hits: list[Hit], prior: float = RERANK_PRIOR) -> list[Hit]:
    """The hits reordered by their best unit's score plus ``prior / rank``: a chunk is as good as its best
    unit, and retrieval's order breaks ties. Hits the reading did not read keep their place after those it did."""
    best: dict[str, float] = {}
    for candidate in reading.candidates:
        chunk_id = candidate.unit.hit.chunk.chunk_id
        best[chunk_id] = max(best.get(chunk_id, 0.0), candidate.score)
    read_ids = {c.unit.hit.chunk.chunk_id for c in reading.candidates}
    scored = sorted((h for h in hits if h.chunk.chunk_id in read_ids),
                    key=lambda h: -(best.get(h.chunk.chunk_id, 0.0) + prior / h.rank))
    rest = [h for h in hits if h.chunk.chunk_id not in read_ids]
    return [replace(h, rank=n) for n, h in enumerate(scored + rest, start=1)]

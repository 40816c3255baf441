"""The reader's answer: the best candidates of the asked type, rendered short, or an abstention.

When no unit tied to the question's focus holds a value of the asked type, the documents do not say:
the answer abstains (``None``) rather than quote the nearest lines as if they answered.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.answering.models import AnswerResponse
from assistant.answering.render import VALUE_TYPES, Builder, compare_verdict, render, statement
from assistant.question import AnswerType, Question, focus_of
from assistant.reading import Candidate, ReaderWeights, Reading, UnitKind, read
from assistant.reading.vocabulary import uniform
from assistant.retrieval import Hit


def read_answer(question: Question, hits: list[Hit], weights: ReaderWeights | None = None,
                term_weight: Callable[[str], float] = uniform) -> tuple[AnswerResponse | None, AnswerResponse | None]:
    """(the whole answer, when a table cell or a comparison answers it; else a direct value to lead the
    composed lines with, when a unit about the question holds one of the asked type; either may be None)."""
    weights = weights or ReaderWeights()
    if question.answer_type is AnswerType.COMPARISON and len(question.sides) == 2:
        compared = _compare(question, hits, weights, term_weight)
        if compared is not None:
            return compared, None
    reading = read(question, hits, weights, term_weight=term_weight)
    picked = pick(reading, weights)
    if picked:
        return render(reading, picked), None
    lead = lead_value(reading, weights)
    return None, (render(reading, [lead]) if lead is not None else None)


def lead_value(reading: Reading, weights: ReaderWeights) -> Candidate | None:
    """The best unit holding a value of the asked type whose own text and the items above it hold most of
    the question's focus: a value to state first."""
    kind = reading.question.compared or reading.question.answer_type
    if kind not in VALUE_TYPES or kind is AnswerType.CONTACT:
        return None
    typed = [c for c in reading.candidates if c.typed and c.unit.kind is not UnitKind.ROW
             and c.signals.get("own", 0) + c.signals.get("trail", 0) >= weights.lead_focus]
    return typed[0] if typed else None


def pick(reading: Reading, weights: ReaderWeights) -> list[Candidate]:
    """The table cell that answers: its row holds the question's focus, its column names the asked attribute
    or type, and no other unit scores higher. Other questions go to the line composer (``compose``): on the
    tune split, picking typed spans from lines and items answered fewer questions than it (see README)."""
    kind = reading.question.compared or reading.question.answer_type
    about = [c for c in reading.candidates if c.topic >= weights.min_topic]
    if about:
        best = about[0]
        if best.unit.kind is UnitKind.CELL and best.attribute and (best.typed or kind not in VALUE_TYPES):
            return [best]
        if best.unit.kind is UnitKind.ROW and kind in VALUE_TYPES:
            # the row is found but no column name says what is asked ("사책 업 임"): the one cell of the
            # asked type in that row answers
            typed = [c for c in reading.candidates if c.unit.kind is UnitKind.CELL and c.typed
                     and c.unit.hit is best.unit.hit and c.unit.cell.row_text == best.unit.cell.row_text
                     and c.unit.text != c.unit.cell.row_header]  # the row's own title is not its value
            if len(typed) == 1:
                return typed
    return []


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.unit.doc_id == b.unit.doc_id and a.unit.start < b.unit.end and b.unit.start < a.unit.end


def _compare(question: Question, hits: list[Hit], weights: ReaderWeights,
             term_weight: Callable[[str], float]) -> AnswerResponse | None:
    """Each side's value from its own best unit, then the verdict computed from the two values."""
    sides = []
    for side in question.side_analyses:
        reading = read(question, hits, weights, focus=focus_of(side), term_weight=term_weight)
        typed = [c for c in reading.candidates if c.typed and c.topic >= weights.min_topic]
        if not typed:
            return None
        sides.append((side, typed[0]))
    if _overlaps(sides[0][1], sides[1][1]):
        return None
    builder = Builder()
    parts = []
    numbered = []
    for _, candidate in sides:
        n = builder.cite(candidate)
        parts.append(f"{statement(candidate)} [{n}]")
        numbered.append((n, candidate.spans[0]))
    verdict = compare_verdict(question, numbered) if numbered[0][0] != numbered[1][0] else ""
    answer = "\n".join(parts) + (f"\n{verdict}" if verdict else "")
    return AnswerResponse(answer=answer, citations=builder.citations, evidence=builder.evidence,
                          answer_type=question.answer_type.value)


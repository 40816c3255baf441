"""A reading -> the short answer: the value in its written form inside a fixed template, each fact cited.

Templates only add Korean connectives (은/는, 입니다, 먼저); every other character of the body is copied
from the cited unit, so the answer cannot state a value its source does not hold.
"""

from __future__ import annotations

import re

from assistant.answering.models import AnswerResponse, Citation, Evidence
from assistant.question import AnswerType, Question
from assistant.reading import Candidate, Reading
from assistant.reading.spans import Span
from assistant.reading.units import UnitKind

MAX_BODY_CHARS = 200
CLAUSE_CHARS = 110  # a line longer than this is cut to the clause holding the answer
VALUE_TYPES = frozenset({
    AnswerType.COUNT, AnswerType.AMOUNT, AnswerType.PERCENT, AnswerType.DATE, AnswerType.PERIOD,
    AnswerType.PERSON, AnswerType.CONTACT, AnswerType.ORGANIZATION, AnswerType.PLACE,
})
_CLAUSE_BREAK = re.compile(r"[,，;·]\s|\s[-–]\s|\s/\s|\)\s|\.\s|\s→\s|\s⇨\s")
_MARKER = re.compile(r"^\s*(?:[-○□■◦·•▪※*∙ㆍ▶►◎●◇◆]|\d{1,2}[.)]|[①-⑳]|\(\d{1,2}\))\s*")


def has_final_consonant(word: str) -> bool:
    """Whether the word's last syllable ends in a consonant (받침), which picks 은/는, 이/가."""
    for ch in reversed(word.strip()):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isdigit():
            return ch in "013678"  # 영, 일, 삼, 육, 칠, 팔
        if ch.isalpha():
            return ch.lower() in "lmn"
        if ch in ")]』」’”>":
            continue
        return False
    return False


def topic_particle(word: str) -> str:
    return "은" if has_final_consonant(word) else "는"


class Builder:
    """Collects cited pieces: each unit's chunk gets a citation number, each unit an evidence span."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.citations: list[Citation] = []
        self.evidence: list[Evidence] = []

    def cite(self, candidate: Candidate) -> int:
        unit = candidate.unit
        chunk = unit.hit.chunk
        n = self.numbers.get(chunk.chunk_id)
        if n is None:
            n = self.numbers[chunk.chunk_id] = len(self.numbers) + 1
            self.citations.append(Citation.of_chunk(n, chunk, unit.hit.score))
        if not any(e.n == n and e.start == unit.start for e in self.evidence):
            self.evidence.append(Evidence(n=n, doc=chunk.doc_id, start=unit.start, end=unit.end, text=unit.text))
        return n


def clause(candidate: Candidate, limit: int = CLAUSE_CHARS) -> str:
    """The unit's text without its bullet, cut to the clause that holds the answer when it is long."""
    unit = candidate.unit
    text = unit.text
    body_at = _MARKER.match(text).end() if _MARKER.match(text) else 0
    if unit.kind is UnitKind.ROW:
        text = " · ".join(c.strip() for c in text.split("\t") if c.strip())
        body_at = 0
    body = text[body_at:].strip()
    if len(body) <= limit:
        return body
    anchor = (candidate.spans[0].start - body_at) if candidate.spans and unit.kind is not UnitKind.ROW else 0
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(body)] + [len(body)]
    start = max(c for c in cuts if c <= max(anchor, 0))
    end = min((c for c in cuts if c > anchor and c - start >= 15), default=len(body))
    while end - start < limit and end < len(body):  # widen to the next clause while it fits
        following = min((c for c in cuts if c > end), default=len(body))
        if following - start > limit:
            break
        end = following
    piece = body[start:end].strip(" ,;·/-")
    return piece if len(piece) <= limit else piece[:limit].rstrip() + "…"


def cell_sentence(candidate: Candidate) -> str:
    """A table cell read as a sentence: "<row>의 <column>은 <value>입니다"."""
    cell = candidate.unit.cell
    value = candidate.unit.text.strip()
    if cell is None or not cell.column_header:
        return f"{cell.row_header if cell else ''}: {value}".strip(": ")
    column = cell.column_header
    if value == cell.row_header:  # the row's own first cell: "수여기관: 행정안전부"
        return f"{column}: {value}"
    return f"{cell.row_header}의 {column}{topic_particle(column)} {value}입니다"


def statement(candidate: Candidate) -> str:
    unit = candidate.unit
    if unit.kind is UnitKind.CELL:
        return cell_sentence(candidate)
    if unit.kind is UnitKind.KEY_VALUE and len(unit.text) > CLAUSE_CHARS:
        return f"{unit.label}: {clause(candidate)}"
    text = clause(candidate)
    if unit.kind is UnitKind.KEY_VALUE and unit.trail:  # "모집기간: …" says whose only through the item above it
        parent = _MARKER.sub("", unit.trail[-1]).strip()
        if len(parent) + len(text) + 3 <= MAX_BODY_CHARS:
            return f"{parent} — {text}"
    if unit.label and unit.kind is not UnitKind.KEY_VALUE and unit.label not in text:
        text = f"{unit.label}: {text}"
    return text


def render(reading: Reading, picked: list[Candidate]) -> AnswerResponse:
    """The picked candidates as one short cited answer."""
    builder = Builder()
    parts: list[str] = []
    used = 0
    for candidate in picked:
        text = statement(candidate)
        if parts and used + len(text) + 2 > MAX_BODY_CHARS:
            continue
        if len(text) > MAX_BODY_CHARS:
            text = text[: MAX_BODY_CHARS - 1].rstrip() + "…"
        n = builder.cite(candidate)
        parts.append(f"{text} [{n}]")
        used += len(text) + 2
    return AnswerResponse(answer="\n".join(parts), citations=builder.citations, evidence=builder.evidence,
                          answer_type=reading.question.answer_type.value)


_UNIT = re.compile(r"[^\d\s,.]+$")


def _unit_of(written: str) -> str:
    """What a number is counted in, as written after it: "30명" -> "명", "14,858" -> ""."""
    match = _UNIT.search(written.strip())
    return match.group(0) if match else ""


def compare_verdict(question: Question, sides: list[tuple[int, Span]]) -> str:
    """From each side's normalized value (citation number, span), which is earlier or larger: a fixed sentence
    naming the side by its citation, so no word of the verdict comes from anywhere but the template."""
    (left_n, left), (right_n, right) = sides
    if left.value is None or right.value is None or type(left.value) is not type(right.value):
        return ""
    if isinstance(left.value, float) and _unit_of(left.text) != _unit_of(right.text):
        return ""  # 1차 and 30명, 백만원 and 억원: no verdict between values in different units
    if left.value == right.value:
        return "두 값이 같습니다."
    if question.compared in (AnswerType.DATE, AnswerType.PERIOD):
        return f"먼저인 쪽: [{left_n if left.value < right.value else right_n}]"
    return f"더 큰 쪽: [{left_n if left.value > right.value else right_n}]"


_MARKER_NUMBER = re.compile(r"\[(\d+)\]")


def lead_with(lead: AnswerResponse, rest: AnswerResponse) -> AnswerResponse:
    """The direct answer first, then the supporting lines of ``rest``: one numbering for both, a chunk cited
    by both keeps the lead's number, and a line that repeats the lead's evidence is left out."""
    numbers = {c.chunk_id: c.n for c in lead.citations}
    citations = list(lead.citations)
    renumber: dict[int, int] = {}
    for citation in rest.citations:
        if citation.chunk_id not in numbers:
            numbers[citation.chunk_id] = len(citations) + 1
            citations.append(citation.model_copy(update={"n": numbers[citation.chunk_id]}))
        renumber[citation.n] = numbers[citation.chunk_id]
    said = {e.text for e in lead.evidence}
    lines: list[str] = []
    kept: list[Evidence] = []
    used_chars = len(_MARKER_NUMBER.sub("", lead.answer))
    for line, evidence in zip(rest.answer.split("\n"), rest.evidence or [None] * len(rest.answer.split("\n"))):
        if evidence is not None and evidence.text in said:
            continue
        body = len(_MARKER_NUMBER.sub("", line).strip()) + 1
        if used_chars + body > MAX_BODY_CHARS:  # the whole answer stays within the body limit
            continue
        used_chars += body
        lines.append(_MARKER_NUMBER.sub(lambda m: f"[{renumber.get(int(m.group(1)), int(m.group(1)))}]", line))
        if evidence is not None:
            kept.append(evidence.model_copy(update={"n": renumber.get(evidence.n, evidence.n)}))
    evidence = list(lead.evidence) + kept
    used = {n for line in [lead.answer, *lines] for n in map(int, _MARKER_NUMBER.findall(line))}
    return lead.model_copy(update={
        "answer": "\n".join([lead.answer, *lines]),
        "citations": [c for c in citations if c.n in used],
        "evidence": [e for e in evidence if e.n in used],
    })

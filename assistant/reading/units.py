"""Evidence -> answer units: lines, list items, key-value lines and table cells, each with its labels.

A unit is the smallest piece an answer quotes: a cell knows its row's header and its column's name,
a key-value line (``- 대상: …``) its key, a line the short label line above it ("미션", "비전") and the
section it sits in. Offsets are the document's, so every unit can be cited and highlighted exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from assistant.retrieval import Hit

_MARKER = re.compile(r"^\s*(?:[-○□■◦·•▪※*∙ㆍ▶►◎●◇◆]|\d{1,2}[.)]|[①-⑳]|[가-하][.)]|\(\d{1,2}\)|<\d+>)\s*")
_KEY_VALUE = re.compile(r"^(?P<key>[^:：\t]{1,16}?)\s*[:：]\s*(?P<value>\S.*)$")
_SERIAL = re.compile(r"^\s*(?:\d{1,3}|[①-⑳]|[가-하])\s*$")
LABEL_MAX_CHARS = 12  # a line this short labels the line below it


class UnitKind(StrEnum):
    LINE = "line"
    ITEM = "item"  # a list item (bullet, number)
    KEY_VALUE = "key_value"
    ROW = "row"  # a whole table row
    CELL = "cell"


@dataclass(frozen=True)
class TableCell:
    row_header: str  # what the row is about (its first text cell)
    column_header: str  # the column's name ("" when the table has no recognised header)
    row_text: str  # the row's cells joined by spaces, for matching the row
    column: int


@dataclass(frozen=True)
class AnswerUnit:
    kind: UnitKind
    hit: Hit
    rank: int  # of the hit, 1-based
    start: int  # offsets of ``text`` in the document's normalized text
    end: int
    text: str
    label: str = ""  # the key of a key-value line, or the short label line above
    value_start: int = 0  # where the value begins in ``text`` (after a key or a marker)
    cell: TableCell | None = None
    trail: tuple[str, ...] = ()  # the items this one sits under, outermost first ("○ 위원 공개모집" over "- 모집기간: …")

    @property
    def doc_id(self) -> str:
        return self.hit.chunk.doc_id

    @property
    def value(self) -> str:
        return self.text[self.value_start:]

    @property
    def section(self) -> str:
        return self.hit.chunk.section


def units_of(hits: list[Hit]) -> list[AnswerUnit]:
    """Every unit of the hits' quotes, in hit order."""
    units: list[AnswerUnit] = []
    for rank, hit in enumerate(hits, start=1):
        units.extend(_chunk_units(hit, rank))
    return units


def _header_at(headers: list, offset: int) -> list[str]:
    found: list[str] = []
    for start, header in headers:
        if start <= offset:
            found = header
    return found


def _chunk_units(hit: Hit, rank: int) -> list[AnswerUnit]:
    chunk = hit.chunk
    headers = chunk.extra.get("table_headers", [])
    units: list[AnswerUnit] = []
    label = ""
    nesting = _Nesting()
    for offset, raw in chunk.lines():
        text = raw.strip()
        if not text:
            continue
        start = offset + raw.index(text)
        if "\t" in raw:
            cells = raw.split("\t")
            header = _header_at(headers, offset)  # none recognised: cells without column names
            if header and [c.strip() for c in cells] == [h.strip() for h in header]:
                label = ""
                continue  # the header row names the columns; it answers nothing itself
            units.extend(_row_units(hit, rank, offset, raw, cells, header, nesting.trail()))
            label = ""
            continue
        marker = _MARKER.match(text)
        body_at = marker.end() if marker else 0
        trail = nesting.enter(len(raw) - len(raw.lstrip()), marker.group(0).strip() if marker else "", text[body_at:])
        kv = _KEY_VALUE.match(text[body_at:])
        if kv and not re.search(r"\d$", kv.group("key")):  # "09:00" is a time, not a key
            units.append(AnswerUnit(UnitKind.KEY_VALUE, hit, rank, start, start + len(text), text,
                                    label=kv.group("key").strip(), value_start=body_at + kv.start("value"),
                                    trail=trail))
        else:
            kind = UnitKind.ITEM if marker else UnitKind.LINE
            units.append(AnswerUnit(kind, hit, rank, start, start + len(text), text, label=label, value_start=body_at,
                                    trail=trail))
        label = text[body_at:] if len(text) <= LABEL_MAX_CHARS else ""
    return units


_GLYPH_CLASSES = [(re.compile(r"\d"), "1"), (re.compile(r"[①-⑳]"), "①"), (re.compile(r"[가-하]"), "가")]
TRAIL_DEPTH = 2


class _Nesting:
    """Which item a line sits under. Deeper indentation nests; at the same indentation a bullet glyph first
    seen later in the chunk nests under one seen earlier (□ over ○ over - in one plan, ◆ over ■ in another),
    and a line without a bullet is a title over the bullets that follow it."""

    def __init__(self) -> None:
        self.order: dict[str, int] = {}
        self.stack: list[tuple[tuple[int, int], str]] = []

    def _level(self, indent: int, glyph: str) -> tuple[int, int]:
        if not glyph:
            return (indent, 0)
        kind = next((name for pattern, name in _GLYPH_CLASSES if pattern.search(glyph)), glyph)
        return (indent, self.order.setdefault(kind, len(self.order) + 1))

    def enter(self, indent: int, glyph: str, body: str) -> tuple[str, ...]:
        """The trail above this line (outermost first); the line then becomes a possible parent."""
        level = self._level(indent, glyph)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        trail = self.trail()
        self.stack.append((level, body))
        return trail

    def trail(self) -> tuple[str, ...]:
        return tuple(body for _, body in self.stack[-TRAIL_DEPTH:])


def _row_units(hit: Hit, rank: int, offset: int, raw: str, cells: list[str], header: list[str],
               trail: tuple[str, ...]) -> list[AnswerUnit]:
    text = raw.strip()
    start = offset + raw.index(text)
    row_header = next((c.strip() for c in cells if c.strip() and not _SERIAL.match(c)), "")
    row_text = " ".join(c.strip() for c in cells if c.strip())
    units = [AnswerUnit(UnitKind.ROW, hit, rank, start, start + len(text), text, label=row_header,
                        value_start=0, cell=TableCell(row_header, "", row_text, -1), trail=trail)]
    position = offset
    for column, cell in enumerate(cells):
        value = cell.strip()
        if value:  # the row's first cell too: in "수여기관 | 수상일 | …" it is what "어느 기관" asks for
            cell_start = position + cell.index(value)
            name = header[column].strip() if column < len(header) else ""
            units.append(AnswerUnit(UnitKind.CELL, hit, rank, cell_start, cell_start + len(value), value,
                                    label=name, cell=TableCell(row_header, name, row_text, column), trail=trail))
        position += len(cell) + 1
    return units

"""Evidence -> answer units: lines, list items, key-value lines and table cells, each with its labels.

A unit is the smallest piece an answer quotes: a cell knows its row's header and its column's name,
a key-value line (``- 대상: …``) its key, a line the short label line above it ("미션", "비전") and the
section it sits in. Offsets are the document's, so every unit can be cited and highlighted exactly.

A chunk's units depend on the chunk alone: they are laid out once per chunk (cached by its content) with the texts
the reader matches already squashed, and each question only pairs them with its hit and rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from assistant.chunking import Chunk
from assistant.reading.vocabulary import squash
from assistant.retrieval import Hit

_MARKER = re.compile(r"^\s*(?:[-○□■◦·•▪※*∙ㆍ▶►◎●◇◆]|\d{1,2}[.)]|[①-⑳]|[가-하][.)]|\(\d{1,2}\)|<\d+>)\s*")
_KEY_VALUE = re.compile(r"^(?P<key>[^:：\t]{1,16}?)\s*[:：]\s*(?P<value>\S.*)$")
_SERIAL = re.compile(r"^\s*(?:\d{1,3}|[①-⑳]|[가-하])\s*$")
LABEL_MAX_CHARS = 12  # a line this short labels the line below it
LAID_OUT_CHUNKS = 4096  # chunks whose units are kept laid out (an index's top chunks recur across questions)


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
class Squashed:
    """A unit's texts as the reader matches them (``squash``: no spaces, lower case), made once per chunk."""

    own: str  # the unit's text; a cell's: its row's
    trail: str  # the items it sits under
    context: str  # its label and the last two sections of its chunk
    key: str  # what precedes its value, and its label: where an asked attribute names it
    owner: str  # its document's organization and title
    column: str  # a cell's column name


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
    squashed: Squashed | None = field(default=None, repr=False, compare=False)  # None: not laid out by units_of

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
        units.extend(AnswerUnit(piece.kind, hit, rank, piece.start, piece.end, piece.text, piece.label,
                                piece.value_start, piece.cell, piece.trail, piece.squashed)
                     for piece in _laid_out(hit.chunk))
    return units


class _Piece(NamedTuple):
    """A unit as laid out in its chunk: everything but the hit and rank a question gives it."""

    kind: UnitKind
    start: int
    end: int
    text: str
    label: str = ""
    value_start: int = 0
    cell: TableCell | None = None
    trail: tuple[str, ...] = ()
    squashed: Squashed | None = None


_laid_out_chunks: dict[tuple, tuple[_Piece, ...]] = {}


def _laid_out(chunk: Chunk) -> tuple[_Piece, ...]:
    """The chunk's units, laid out on its first reading; keyed by everything the layout reads, so a chunk of another
    index with the same id is laid out anew."""
    headers = chunk.extra.get("table_headers", [])
    section = tuple(chunk.section_path[-2:])
    key = (chunk.chunk_id, chunk.start, chunk.quote, tuple((at, tuple(header)) for at, header in headers), section,
           chunk.organization, chunk.doc_title)
    pieces = _laid_out_chunks.get(key)
    if pieces is None:
        pieces = _layout(chunk, section)
        if len(_laid_out_chunks) >= LAID_OUT_CHUNKS:
            _laid_out_chunks.clear()
        _laid_out_chunks[key] = pieces
    return pieces


def _layout(chunk: Chunk, section: tuple[str, ...]) -> tuple[_Piece, ...]:
    owner = squash(f"{chunk.organization} {chunk.doc_title}")
    pieces = []
    for piece in _chunk_pieces(chunk):
        is_cell = piece.kind is UnitKind.CELL and piece.cell is not None
        squashed = Squashed(
            own=squash(piece.cell.row_text if is_cell else piece.text),
            trail=squash(" ".join(piece.trail)),
            context=squash(" ".join([piece.label, *section])),
            key=squash(piece.text[:piece.value_start] + piece.label),
            owner=owner,
            column=squash(piece.cell.column_header) if piece.cell is not None else "",
        )
        pieces.append(piece._replace(squashed=squashed))
    return tuple(pieces)


def _header_at(headers: list, offset: int) -> list[str]:
    found: list[str] = []
    for start, header in headers:
        if start <= offset:
            found = header
    return found


def _chunk_pieces(chunk: Chunk) -> list[_Piece]:
    headers = chunk.extra.get("table_headers", [])
    units: list[_Piece] = []
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
            units.extend(_row_pieces(offset, raw, cells, header, nesting.trail()))
            label = ""
            continue
        marker = _MARKER.match(text)
        body_at = marker.end() if marker else 0
        trail = nesting.enter(len(raw) - len(raw.lstrip()), marker.group(0).strip() if marker else "", text[body_at:])
        kv = _KEY_VALUE.match(text[body_at:])
        if kv and not re.search(r"\d$", kv.group("key")):  # "09:00" is a time, not a key
            units.append(_Piece(UnitKind.KEY_VALUE, start, start + len(text), text, label=kv.group("key").strip(),
                                value_start=body_at + kv.start("value"), trail=trail))
        else:
            kind = UnitKind.ITEM if marker else UnitKind.LINE
            units.append(_Piece(kind, start, start + len(text), text, label=label, value_start=body_at, trail=trail))
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


def _row_pieces(offset: int, raw: str, cells: list[str], header: list[str], trail: tuple[str, ...]) -> list[_Piece]:
    text = raw.strip()
    start = offset + raw.index(text)
    row_header = next((c.strip() for c in cells if c.strip() and not _SERIAL.match(c)), "")
    row_text = " ".join(c.strip() for c in cells if c.strip())
    units = [_Piece(UnitKind.ROW, start, start + len(text), text, label=row_header, value_start=0,
                    cell=TableCell(row_header, "", row_text, -1), trail=trail)]
    position = offset
    for column, cell in enumerate(cells):
        value = cell.strip()
        if value:  # the row's first cell too: in "수여기관 | 수상일 | …" it is what "어느 기관" asks for
            cell_start = position + cell.index(value)
            name = header[column].strip() if column < len(header) else ""
            units.append(_Piece(UnitKind.CELL, cell_start, cell_start + len(value), value, label=name,
                                cell=TableCell(row_header, name, row_text, column), trail=trail))
        position += len(cell) + 1
    return units

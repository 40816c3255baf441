"""Elements -> typed blocks over one normalized text.

The parser walks the reader's elements once, writes the normalized text as it goes
(so every block's ``start:end`` is exact), recognises headings, list items, tables
(header row, repeated headers on new pages) and contact lines, and records for every
block the trail of headings it sits under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from assistant.ingest.document import Block, BlockKind, PlaceMark, TableRow
from assistant.ingest.elements import Element, Heading, Line, ListItem, Place, TableElement
from assistant.ingest.outline import (
    Marker,
    OutlineTracker,
    is_generic_title,
    looks_like_title,
    split_marker,
    squash,
)

PHONE = re.compile(r"(?<!\d)(?:0\d{1,2}\s*[-)]\s*)?\d{3,4}\s*-\s*\d{4}(?!\d)")
_ROLE = r"(?:부장|팀장(?:대행)?|과장|실장|센터장|원장|국장|담당자?|주무관|주무|계장|사무관|소장)"
_ROLE_PHONE = re.compile(rf"{_ROLE}\s*[:：]\s*\S.*?{PHONE.pattern}")
_VACANT = re.compile(r"^\s*(?:공석\s*)+$")
_CODE = re.compile(r"^\d+(?:-\d+)+$")
_STRONG_GLYPHS = {"□", "■", "▣", "◆"}


def is_contact_text(text: str) -> bool:
    """A line that gives people and their phone numbers: ``연락처 | 부장: 윤신희 ☎ 8073-8365 ...``."""
    stripped = text.strip()
    if "☎" in stripped:
        return True
    if squash(stripped).startswith("연락처") and (PHONE.search(stripped) or "공석" in stripped or ":" in stripped):
        return True
    return bool(_ROLE_PHONE.search(stripped))


def _is_contact_row(cells: list[str]) -> bool:
    joined = " ".join(cells)
    if "☎" in joined:
        return True
    labels = {squash(cell) for cell in cells}
    return bool(labels & {"연락처", "전화", "전화번호", "연락처(☎)"}) and bool(PHONE.search(joined))


def _is_fragment_row(cells: list[str]) -> bool:
    """Pieces of a layout table printed on their own row: ``\\t\\t무\\t관``."""
    filled = [c for c in cells if c]
    return bool(filled) and all(len(c) <= 6 and not any(ch.isdigit() for ch in c) for c in filled)


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    pos: int = 0

    def emit(self, text: str) -> tuple[int, int]:
        start = self.pos
        self.parts.append(text + "\n")
        self.pos += len(text) + 1
        return start, start + len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def toc_entries(table: TableElement) -> dict[str, int]:
    """Titles of a table of contents (``1. 기획조정실\t13``) with their outline level; {} for other tables."""
    if len(table.rows) < 3:
        return {}
    entries: dict[str, int] = {}
    for row in table.rows:
        if len(row) >= 2 and row[-1].strip().isdigit():
            marker, title = split_marker(row[0])
            if marker.kind in ("roman", "digit") and title:
                entries[squash(title)] = 1 if marker.kind == "roman" else 2
    return entries if len(entries) >= 0.8 * len(table.rows) else {}


def find_toc(elements: list[Element]) -> dict[str, int]:
    """The document's table of contents, if one of its first tables is one."""
    for element in elements[:400]:
        if isinstance(element, TableElement) and (entries := toc_entries(element)):
            return entries
    return {}


class StructureParser:
    def __init__(self, elements: list[Element]) -> None:
        self.elements = _split_lines(elements)
        self.out = _Builder()
        self.blocks: list[Block] = []
        self.places: list[PlaceMark] = []
        self.outline = OutlineTracker(find_toc(elements))
        self.after_contact = False  # the last non-blank block was a contact: a bare title next starts a program
        self.previous_blank = True

    def parse(self) -> Structure:
        for index, element in enumerate(self.elements):
            if isinstance(element, Place):  # no text: only where the text that follows comes from
                self.places.append(PlaceMark(self.out.pos, element.page, element.sheet))
                continue
            if isinstance(element, Heading):
                title = split_marker(element.text)[1] or element.text
                self._heading(element.text, self.outline.open_explicit(title, element.level), "#", element.source_line, title)
            elif isinstance(element, ListItem):
                self._add(BlockKind.LIST_ITEM, element.text, level=element.level, source_line=element.source_line)
            elif isinstance(element, TableElement):
                self._table(element)
            else:
                self._line(index, element)
            self.previous_blank = isinstance(element, Line) and not element.text.strip()
        text = self.out.text
        for block in self.blocks:
            block.text = text[block.start:block.end]
        return Structure(text, self.blocks, self.places)

    # -- lines ------------------------------------------------------------------------

    def _line(self, index: int, line: Line) -> None:
        text = line.text
        if not text.strip():
            self.out.emit("")
            return
        last = self.blocks[-1] if self.blocks else None
        if is_contact_text(text) or (_VACANT.match(text) and last is not None and last.kind is BlockKind.CONTACT):
            if last is not None and last.kind is BlockKind.CONTACT and self.after_contact:
                last.end = self.out.emit(text)[1]
            else:
                self._add(BlockKind.CONTACT, text, source_line=line.source_line)
            self.after_contact = True
            return
        marker, rest = split_marker(text)
        if (
            marker.kind in ("roman", "digit", "pair")
            and self.previous_blank  # numbered titles stand apart; packed lines are a table's spill
            and looks_like_title(rest, 60)
            and (marker.style != "circled" or self._has_body(index))
        ):
            self._heading(text, self.outline.open_marked(marker, rest), marker.family, line.source_line, rest)
        elif marker.kind == "glyph" and is_generic_title(rest) and looks_like_title(rest, 40):
            self._heading(text, self.outline.open_generic(marker, rest), marker.family, line.source_line, rest)
        elif marker.kind == "glyph" and self._is_glyph_heading(index, marker, rest):
            self._heading(text, self.outline.open_marked(marker, rest), marker.family, line.source_line, rest)
        elif marker.kind in ("glyph", "list"):
            indent = len(text) - len(text.lstrip())
            self._add(BlockKind.LIST_ITEM, text, level=min(indent, 6), marker=marker.family, source_line=line.source_line)
        elif marker.kind == "" and is_generic_title(text) and looks_like_title(text, 20):
            self._heading(text, self.outline.open_generic(marker, rest), "", line.source_line, rest)
        elif marker.kind == "" and looks_like_title(text) and (self.after_contact or self._opens_program(index)):
            self._heading(text, self.outline.open_program(rest), "", line.source_line, rest)
        elif (
            not self.previous_blank
            and last is not None
            and last.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM)
            and last.end == self.out.pos - 1
        ):
            last.end = self.out.emit(text)[1]  # a wrapped line continues the block above it
        else:
            self._add(BlockKind.PARAGRAPH, text, source_line=line.source_line)

    def _is_glyph_heading(self, index: int, marker: Marker, rest: str) -> bool:
        if marker.family in _STRONG_GLYPHS:
            return 0 < len(rest) <= 100
        if not looks_like_title(rest, 60) and len(rest) > 60:
            return False
        following = self._next_nonblank(index, 1)
        if not following:
            return False
        nxt = following[0]
        if isinstance(nxt, Heading):
            return False
        if isinstance(nxt, (TableElement, ListItem)):
            return True
        next_marker, _ = split_marker(nxt.text)
        if next_marker.kind in ("roman", "digit", "pair"):
            return False
        return not (next_marker.kind == "glyph" and (next_marker.family == marker.family or next_marker.family in _STRONG_GLYPHS))

    def _has_body(self, index: int) -> bool:
        """Circled numbers head a section only when text follows before the next number."""
        following = self._next_nonblank(index, 1)
        if not following or isinstance(following[0], Heading):
            return False
        if isinstance(following[0], Line):
            return split_marker(following[0].text)[0].kind not in ("roman", "digit", "pair")
        return True

    def _opens_program(self, index: int) -> bool:
        """A bare title, then a purpose statement, then ``사업개요``-like sub-headings: a program's page."""
        following = self._next_nonblank(index, 3)
        if len(following) < 2 or not isinstance(following[0], Line):
            return False
        marker, purpose = split_marker(following[0].text)
        if marker.kind or looks_like_title(purpose):
            return False
        for element in following[1:]:
            if not isinstance(element, Line):
                return False
            marker, rest = split_marker(element.text)
            if marker.kind in ("", "glyph") and is_generic_title(rest) and looks_like_title(rest, 40):
                return True
        return False

    def _next_nonblank(self, index: int, count: int) -> list[Element]:
        found: list[Element] = []
        for element in self.elements[index + 1:]:
            if isinstance(element, Place) or (isinstance(element, Line) and not element.text.strip()):
                continue
            found.append(element)
            if len(found) == count:
                break
        return found

    # -- tables -----------------------------------------------------------------------

    def _table(self, table: TableElement) -> None:
        if toc_entries(table):  # navigation, not content: kept in the text, marked so it is not indexed
            self._table_block(BlockKind.TABLE, table.rows, table.source_line).marker = "toc"
            return
        rows = table.rows
        numbers = list(table.row_numbers or [None] * len(rows))
        i = 0
        while i < len(rows):
            if _is_contact_row(rows[i]):
                j = i + 1
                while j < len(rows) and (_is_contact_row(rows[j]) or _is_fragment_row(rows[j])):
                    j += 1
                self._table_block(BlockKind.CONTACT, rows[i:j], table.source_line, numbers[i:j])
                self.after_contact = True
                i = j
                continue
            j = i
            while j < len(rows) and not _is_contact_row(rows[j]):
                j += 1
            segment = rows[i:j]
            if len(segment) == 1 and self._code_heading(segment[0], table.source_line):
                pass
            else:
                self._data_table(segment, table.source_line, numbers[i:j])
            i = j

    def _code_heading(self, cells: list[str], source_line: int | None) -> bool:
        """``2-1-2\\t주민참여를 기반으로 하는 민관협치 추진``: a pledge's numbered title row."""
        filled = [c for c in cells if c]
        if len(filled) == 2 and _CODE.match(filled[0]) and looks_like_title(filled[1], 60):
            self._heading("\t".join(cells), self.outline.open_program(filled[1]), "code", source_line, filled[1])
            return True
        return False

    def _data_table(self, rows: list[list[str]], source_line: int | None, numbers: list[int | None]) -> None:
        previous = self._previous_table()
        if previous is not None and previous.header and (
            rows[0] == previous.header or (rows[0] and not rows[0][0] and len(rows[0]) == len(previous.header))
        ):
            # the same table continued on a new page, with or without its header printed again
            for cells, number in zip(rows, numbers):
                start, end = self.out.emit("\t".join(cells))
                previous.rows.append(TableRow(cells, start, end, repeated_header=cells == previous.header,
                                              source_row=number))
            previous.end = previous.rows[-1].end
            self.after_contact = False
            return
        block = self._table_block(BlockKind.TABLE, rows, source_line, numbers)
        if _looks_like_header(rows):
            block.header = rows[0]
            for row in block.rows:
                row.repeated_header = row.cells == block.header
            block.rows[0].repeated_header = False

    def _previous_table(self) -> Block | None:
        """The table just above, if nothing but blank lines separates it from here."""
        if not self.blocks or self.blocks[-1].kind is not BlockKind.TABLE:
            return None
        if self.places and self.places[-1].sheet and self.places[-1].start >= self.blocks[-1].end:
            return None  # a new sheet's table is its own, even under the same header (a PDF page's is not)
        between = self.out.text[self.blocks[-1].end:]
        return self.blocks[-1] if not between.strip() else None

    def _table_block(self, kind: BlockKind, rows: list[list[str]], source_line: int | None,
                     numbers: list[int | None] | None = None) -> Block:
        table_rows = []
        for cells, number in zip(rows, numbers or [None] * len(rows)):
            start, end = self.out.emit("\t".join(cells))
            table_rows.append(TableRow(cells, start, end, source_row=number))
        block = Block(kind, table_rows[0].start, table_rows[-1].end, "", rows=table_rows,
                      path=self.outline.path, source_line=source_line)
        self.blocks.append(block)
        if kind is not BlockKind.CONTACT:
            self.after_contact = False
        return block

    # -- helpers ----------------------------------------------------------------------

    def _heading(self, text: str, level: int, marker: str, source_line: int | None, title: str | None = None) -> None:
        start, end = self.out.emit(text)
        self.blocks.append(Block(BlockKind.HEADING, start, end, "", level=level, marker=marker,
                                 title=title if title is not None else text, path=self.outline.path,
                                 source_line=source_line))
        self.after_contact = False

    def _add(self, kind: BlockKind, text: str, *, level: int = 0, marker: str = "", source_line: int | None = None) -> None:
        start, end = self.out.emit(text)
        self.blocks.append(Block(kind, start, end, "", level=level, marker=marker, path=self.outline.path,
                                 source_line=source_line))
        if kind is not BlockKind.CONTACT:
            self.after_contact = False


def _split_lines(elements: list[Element]) -> list[Element]:
    """A DOCX or HWPX paragraph may hold line breaks; structure is recognised line by line."""
    out: list[Element] = []
    for element in elements:
        if isinstance(element, Line) and "\n" in element.text:
            out.extend(Line(part.rstrip(), element.source_line) for part in element.text.split("\n"))
        else:
            out.append(element)
    return out


def _looks_like_header(rows: list[list[str]]) -> bool:
    if len(rows) < 2:
        return False
    first = rows[0]
    filled = [c for c in first if c]
    return (
        len(filled) >= 2
        and all(len(c) <= 30 and "\n" not in c for c in filled)
        and not filled[0].replace(".", "").isdigit()
        and not any(split_marker(c)[0].kind for c in filled)  # "① 연구주제 발굴", "· 정기 수요조사": data
        and not any(PHONE.search(c) for c in filled)
    )


class Structure(NamedTuple):
    text: str
    blocks: list[Block]
    places: list[PlaceMark]  # page and sheet starts, for paged formats


def parse_structure(elements: list[Element]) -> Structure:
    """The normalized text, its blocks and where its pages or sheets start."""
    return StructureParser(elements).parse()

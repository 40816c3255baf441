"""The ingest stage's output: a document's normalized text and its typed blocks.

``Document.text`` is the normalized source text: HTML fragments turned into lines,
entities decoded, trailing spaces removed, but otherwise the characters of the file
(spaced-out names such as ``이 성 호`` stay as written).  Every block knows its span
``text[start:end]``, so anything downstream can quote the source verbatim.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE = "table"
    CONTACT = "contact"


@dataclass
class TableRow:
    cells: list[str]
    start: int
    end: int
    repeated_header: bool = False  # a header row printed again on a new page: not data
    source_row: int | None = None  # spreadsheets: the row number in its sheet


@dataclass
class Block:
    kind: BlockKind
    start: int
    end: int
    text: str  # == Document.text[start:end]
    level: int = 0  # heading depth (1 = top) or list nesting
    marker: str = ""  # the bullet glyph or numbering that introduced the line ("□", "○", "1", "#")
    header: list[str] = field(default_factory=list)  # tables: column names ([] when none was recognised)
    rows: list[TableRow] = field(default_factory=list)  # tables (and contact tables): the rows
    title: str = ""  # headings: the text without its marker
    path: tuple[str, ...] = ()  # titles of the headings this block sits under (a heading includes itself)
    source_line: int | None = None


@dataclass(frozen=True)
class PlaceMark:
    """From offset ``start`` of the normalized text on, the text is on this page / in this sheet."""

    start: int
    page: int | None = None
    sheet: str = ""


@dataclass(frozen=True)
class Location:
    """Where a span of a document is in the original file, for citations: ``p. 12``, ``시트 '예산' 3–7행``."""

    pages: tuple[int, ...] = ()  # (first,) or (first, last)
    sheet: str = ""
    rows: tuple[int, ...] = ()  # spreadsheet rows: (first,) or (first, last)

    @property
    def label(self) -> str:
        parts = []
        if self.pages:
            parts.append(f"p. {self.pages[0]}" if len(self.pages) == 1 else f"pp. {self.pages[0]}–{self.pages[-1]}")
        if self.sheet:
            parts.append(f"시트 '{self.sheet}'")
        if self.rows:
            parts.append(f"{self.rows[0]}행" if len(self.rows) == 1 else f"{self.rows[0]}–{self.rows[-1]}행")
        return " ".join(parts)

    @classmethod
    def of_marks(cls, marks: list[PlaceMark], rows: list[tuple[int, int]], start: int, end: int) -> Location:
        """The location of ``text[start:end]`` given the document's place marks and (offset, row) pairs."""
        if not marks and not rows:
            return cls()
        starts = [m.start for m in marks]
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(start, end - 1)) - 1
        covered = marks[max(first, 0):last + 1] if last >= 0 else []
        pages = sorted({m.page for m in covered if m.page is not None})
        sheets = [m.sheet for m in covered if m.sheet]
        row_numbers = [row for offset, row in rows if start <= offset < end]
        return cls(
            pages=tuple(dict.fromkeys((pages[0], pages[-1]))) if pages else (),
            sheet=sheets[0] if sheets else "",
            rows=tuple(dict.fromkeys((min(row_numbers), max(row_numbers)))) if row_numbers else (),
        )


@dataclass
class Document:
    doc_id: str
    title: str
    text: str
    blocks: list[Block]
    path: str = ""
    source_format: str = ""
    organization: str = ""
    year: str = ""
    places: list[PlaceMark] = field(default_factory=list)  # paged and sheeted formats; [] for flowing text

    def location(self, start: int, end: int) -> Location:
        """Page(s), sheet and spreadsheet rows of ``text[start:end]``."""
        return Location.of_marks(self.places, self._row_marks, start, end)

    @cached_property
    def _row_marks(self) -> list[tuple[int, int]]:
        return [(row.start, row.source_row) for block in self.blocks for row in block.rows
                if row.source_row is not None]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


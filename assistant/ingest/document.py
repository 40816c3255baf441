"""The ingest stage's output: a document's normalized text and its typed blocks.

``Document.text`` is the normalized source text: HTML fragments turned into lines,
entities decoded, trailing spaces removed, but otherwise the characters of the file
(spaced-out names such as ``이 성 호`` stay as written).  Every block knows its span
``text[start:end]``, so anything downstream can quote the source verbatim.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


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

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


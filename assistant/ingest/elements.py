"""What a format reader hands to the structure parser.

Every reader (text, HTML, PDF, DOCX, HWPX) turns its file into one flat, ordered
list of elements.  Formats that know their structure (a DOCX heading style, an
HTML ``<table>``) say so with a typed element; plain text arrives as ``Line``
elements and the structure parser recognises headings, bullets, tab-separated
tables and contact lines from the text itself.  Korean office documents put
bullet glyphs (□ ○ -) into ordinary paragraphs, so even structured formats
send most of their paragraphs as ``Line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UnreadableDocument(Exception):
    """A file that cannot be turned into text; the message says why, for the ingest report."""


@dataclass(frozen=True)
class Line:
    """One line of text whose structure is still to be recognised.  Empty text is a blank line."""

    text: str
    source_line: int | None = None  # 1-based line (or paragraph) number in the file, for debugging


@dataclass(frozen=True)
class Heading:
    """A heading the format itself marks (HTML ``<h2>``, DOCX "Heading 2", Markdown ``##``)."""

    text: str
    level: int  # 1 = top
    source_line: int | None = None


@dataclass(frozen=True)
class ListItem:
    """A list item the format marks (HTML ``<li>``, a DOCX list paragraph)."""

    text: str
    level: int = 0  # nesting depth, 0 = outermost
    source_line: int | None = None


@dataclass(frozen=True)
class TableElement:
    """A table as rows of cell texts.  A cell may hold several lines separated by ``\\n``."""

    rows: list[list[str]] = field(default_factory=list)
    source_line: int | None = None
    # spreadsheets: the sheet's own 1-based row number of each row, so a citation can say "3-7행"
    row_numbers: list[int] | None = None


@dataclass(frozen=True)
class Place:
    """Where the following elements are in the original file: a PDF page or a spreadsheet sheet.

    Readers of paged formats emit one before each page's elements; the structure parser
    records the text offset, so any span of the document (a chunk, a quoted line) can
    be traced back to its page or sheet.
    """

    page: int | None = None  # 1-based
    sheet: str = ""


Element = Line | Heading | ListItem | TableElement | Place

"""DOCX reader: body paragraphs and tables in document order, with the structure Word marks.

Word knows headings (by style) and lists (by style or numbering), so those arrive
typed; Korean documents still put most structure into plain paragraphs with bullet
glyphs, which stay ``Line`` for the structure parser.  The body is walked at the
XML level because python-docx's ``paragraphs`` and ``tables`` lists lose the order
between a table and the paragraphs around it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.ingest.elements import (
    Element,
    Heading,
    Line,
    ListItem,
    TableElement,
    UnreadableDocument,
)
from assistant.ingest.readers.archive import open_zip

_P, _TBL = qn("w:p"), qn("w:tbl")
# Content controls and custom XML wrap ordinary paragraphs and tables; their content is body text.
_WRAPPERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")}
# English built-in names, and the names Korean Word writes when a document was created in Korean.
_HEADING_STYLE = re.compile(r"^(?:heading|제목)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLES = {"title", "제목"}
_LIST_STYLE_WORDS = ("list", "목록", "글머리")
_TRAILING_NUMBER = re.compile(r"(\d+)$")
# Runs hidden in tracked insertions, fields, smart tags and inline content controls are still text.
_RUN_XPATH = (
    "./w:r | ./w:hyperlink | ./w:ins/w:r | ./w:fldSimple/w:r | ./w:smartTag/w:r | ./w:sdt/w:sdtContent/w:r"
)


def read(data: bytes) -> list[Element]:
    """Headings, list items, lines and tables of the main document body.

    Library errors are wrapped because a corrupt upload must end up in the ingest
    report with a reason, not crash the whole ingest run.
    """
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableDocument("not a DOCX file (this is a binary .doc/OLE file; save it as .docx)")
    open_zip(data, "a DOCX file").close()  # zip-bomb guard before python-docx inflates every part
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # PackageNotFoundError, KeyError, ValueError ("not a Word file"), XMLSyntaxError
        raise UnreadableDocument(f"not a DOCX file ({type(exc).__name__}: {exc})") from exc
    try:
        elements = _body_elements(document)
    except Exception as exc:  # malformed XML that python-docx only trips over when walking it
        raise UnreadableDocument(f"corrupt DOCX file ({type(exc).__name__}: {exc})") from exc
    if not any(isinstance(e, TableElement) or e.text.strip() for e in elements):
        raise UnreadableDocument("DOCX document has no text")
    return elements


def _body_elements(document: DocxDocument) -> list[Element]:
    body = document.element.body
    elements: list[Element] = []
    for number, block in enumerate(_blocks(body), start=1):
        if block.tag == _TBL:
            elements.append(TableElement(_table_rows(Table(block, document)), source_line=number))
        else:
            elements.append(_paragraph_element(Paragraph(block, document), number))
    return elements


def _blocks(parent: BaseOxmlElement) -> Iterator[BaseOxmlElement]:
    """``w:p`` and ``w:tbl`` children in order, looking through content-control wrappers."""
    for child in parent:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag in _WRAPPERS:
            yield from _blocks(child)


def _paragraph_element(paragraph: Paragraph, number: int) -> Element:
    text = _paragraph_text(paragraph)
    if not text.strip():
        return Line("", source_line=number)
    style = _style_name(paragraph)
    if match := _HEADING_STYLE.match(style):
        return Heading(text.strip(), max(int(match.group(1)), 1), source_line=number)
    if style.lower() in _TITLE_STYLES:
        return Heading(text.strip(), 1, source_line=number)
    level = _list_level(paragraph, style)
    if level is not None:
        return ListItem(text.strip(), level, source_line=number)
    return Line(text.rstrip(), source_line=number)


def _paragraph_text(paragraph: Paragraph) -> str:
    return "".join(run.text for run in paragraph._p.xpath(_RUN_XPATH))


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "").strip() if style is not None else ""


def _list_level(paragraph: Paragraph, style: str) -> int | None:
    """Nesting depth if the paragraph is a list item, else None.

    Numbering set directly on the paragraph gives ``w:ilvl``; a list style such as
    "List Bullet 2" carries its depth only in its name.
    """
    num_id = paragraph._p.xpath("./w:pPr/w:numPr/w:numId/@w:val")
    if num_id and num_id[0] != "0":  # numId 0 explicitly switches off numbering inherited from the style
        ilvl = paragraph._p.xpath("./w:pPr/w:numPr/w:ilvl/@w:val")
        return int(ilvl[0]) if ilvl and str(ilvl[0]).isdigit() else 0
    if any(word in style.lower() for word in _LIST_STYLE_WORDS):
        match = _TRAILING_NUMBER.search(style)
        return max(int(match.group(1)) - 1, 0) if match else 0
    return None


def _table_rows(table: Table) -> list[list[str]]:
    """Rows of cell texts, a horizontally merged cell once per row.

    python-docx yields a merged cell once per grid column it spans (and the top cell
    again for a vertical merge), so consecutive repeats of one ``w:tc`` are dropped.
    """
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is not previous:
                cells.append(_cell_text(cell._tc, table))
            previous = cell._tc
        rows.append(cells)
    return rows


def _cell_text(tc: BaseOxmlElement, table: Table) -> str:
    """The cell's paragraphs joined by newlines; a nested table becomes "a | b" lines."""
    lines: list[str] = []
    for block in _blocks(tc):
        if block.tag == _TBL:
            nested = _table_rows(Table(block, table))
            lines.extend(" | ".join(cell.replace("\n", " ") for cell in row) for row in nested)
        else:
            lines.append(_paragraph_text(Paragraph(block, table)).rstrip())
    return "\n".join(lines).strip()

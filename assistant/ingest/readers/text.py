"""Plain text and Markdown: lines, Markdown headings, and tab- or pipe-separated table rows.

The converted plan documents are text with tab-separated tables whose cells may carry
HTML fragments; both become ``TableElement`` rows here with the HTML turned into lines.
"""

from __future__ import annotations

import re

from assistant.ingest.elements import (
    Element,
    Heading,
    Line,
    TableElement,
    UnreadableDocument,
)
from assistant.ingest.normalize import (
    clean_line,
    decode_text,
    has_html,
    html_to_lines,
    strip_markdown_inline,
)
from assistant.ingest.readers.html import fragment_elements

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE_ROW = re.compile(r"^[\s|:\-–—=]+$")  # "-----\t-----" or "|---|:--:|"


def read(data: bytes) -> list[Element]:
    lines = decode_text(data).splitlines()
    elements: list[Element] = []
    table: list[list[str]] = []
    table_line = 0

    def close_table() -> None:
        nonlocal table
        if table:
            elements.append(TableElement(table, table_line))
            table = []

    for number, raw in enumerate(lines, start=1):
        cells = _split_row(raw)
        if cells is not None:
            if not _RULE_ROW.match(raw):
                if not table:
                    table_line = number
                table.append(cells)
            continue
        close_table()
        heading = _MD_HEADING.match(raw)
        if heading:
            title = _cell_text(heading.group(2))
            if title:
                elements.append(Heading(title, len(heading.group(1)), number))
        elif has_html(raw):
            elements.extend(fragment_elements(raw, number))
        else:
            elements.append(Line(clean_line(strip_markdown_inline(raw)), number))
    close_table()
    if not any(isinstance(e, TableElement) or e.text.strip() for e in elements):
        raise UnreadableDocument("no text in file")
    return elements


def _split_row(raw: str) -> list[str] | None:
    """Cells of a table row, or None for a line that is not one."""
    stripped = raw.strip()
    if "\t" in raw.rstrip() and stripped:
        cells = raw.rstrip("\r\n").split("\t")
    elif stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        cells = stripped[1:-1].split("|")
    else:
        return None
    cells = [_cell_text(cell) for cell in cells]
    while cells and not cells[-1]:
        cells.pop()
    return cells if any(cells) else None


def _cell_text(cell: str) -> str:
    if has_html(cell):
        return "\n".join(html_to_lines(cell))
    return clean_line(strip_markdown_inline(cell)).strip()

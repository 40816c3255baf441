"""HTML files, and the HTML fragments that converted documents carry inside their text."""

from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag

from assistant.ingest.elements import (
    Element,
    Heading,
    Line,
    ListItem,
    TableElement,
    UnreadableDocument,
)
from assistant.ingest.normalize import clean_line, decode_text, html_to_lines

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_DROP = {"script", "style", "head", "noscript", "template", "iframe", "object", "svg", "nav", "footer"}
_CONTAINERS = {"html", "body", "main", "article", "section", "div", "header", "aside", "blockquote", "center", "form"}


def read(data: bytes) -> list[Element]:
    text = decode_text(data)
    elements = fragment_elements(text)
    if not any(_has_text(e) for e in elements):
        raise UnreadableDocument("HTML file has no visible text")
    return elements


def fragment_elements(markup: str, source_line: int | None = None) -> list[Element]:
    """Elements of an HTML document or fragment, in document order."""
    soup = BeautifulSoup(markup, "html.parser")
    out: list[Element] = []
    inline: list[str] = []

    def flush() -> None:
        for line in html_to_lines("".join(inline)):
            out.append(Line(line, source_line))
        inline.clear()

    def walk(node: Tag, list_depth: int) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:
                    inline.append(_escape(str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _DROP:
                continue
            if name in _HEADINGS:
                flush()
                title = " ".join(html_to_lines(str(child)))
                if title:
                    out.append(Heading(title, _HEADINGS[name], source_line))
            elif name == "table":
                flush()
                rows = _table_rows(child)
                if rows:
                    out.append(TableElement(rows, source_line))
            elif name in ("ul", "ol"):
                flush()
                walk(child, list_depth + 1)
            elif name == "li":
                flush()
                own = Tag(name="div")
                for part in list(child.children):
                    if isinstance(part, Tag) and part.name in ("ul", "ol"):
                        break
                    own.append(part.__copy__() if isinstance(part, Tag) else NavigableString(str(part)))
                text = " ".join(html_to_lines(str(own)))
                if text:
                    out.append(ListItem(text, max(0, list_depth - 1), source_line))
                for sub in child.find_all(["ul", "ol"], recursive=False):
                    walk(sub, list_depth + 1)
            elif name in ("p", "pre", "br", "hr") or name in _CONTAINERS:
                flush()
                if name not in ("br", "hr"):
                    walk(child, list_depth)
                    flush()
            else:
                inline.append(str(child))

    walk(soup, 0)
    flush()
    return out


def _table_rows(table: Tag) -> list[list[str]]:
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue  # rows of a nested table stay inside their cell
        cells = ["\n".join(html_to_lines(str(cell))) for cell in tr.find_all(["td", "th"], recursive=False)]
        if any(cells):
            rows.append(cells)
    return rows


def _escape(text: str) -> str:
    # text nodes are re-parsed by html_to_lines: keep literal "<" and "&" literal
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _has_text(element: Element) -> bool:
    if isinstance(element, TableElement):
        return any(any(c.strip() for c in row) for row in element.rows)
    return bool(clean_line(element.text).strip())


__all__ = ["read", "fragment_elements"]

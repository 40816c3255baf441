"""HWPX reader: Hangul Word Processor's zip+XML format (OWPML, KS X 6101).

Korean public documents are mostly written in Hangul, and HWPX is the form of it
that can be read without Hancom's software.  Hangul paragraphs carry their bullet
glyphs (□ ○ -) as text, so each paragraph becomes a ``Line`` and only tables are
typed.  Elements are matched on local tag names because Hancom has shipped
several namespace years (2011, 2016, ...) for the same vocabulary.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import Element as XmlElement

import defusedxml.ElementTree as SafeET

from assistant.ingest.elements import Element, Line, TableElement, UnreadableDocument
from assistant.ingest.readers.archive import open_zip

HWPX_MIMETYPE = "application/hwp+zip"
_SECTION_NAME = re.compile(r"^Contents/section(\d+)\.xml$", re.IGNORECASE)
# Text-bearing drawing objects (text boxes) whose paragraphs belong in the reading flow.
_DRAWING_TAGS = {"rect", "ellipse", "arc", "polygon", "curve", "connectLine", "container"}


def read(data: bytes) -> list[Element]:
    """Paragraphs and tables of every section, in reading order.

    Anything the zip or XML layer raises is wrapped, so a damaged file is reported
    with a reason instead of aborting the ingest run.
    """
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableDocument("not an HWPX file (this is a binary .hwp/OLE file; save it as .hwpx)")
    archive = open_zip(data, "an HWPX file")
    try:
        with archive:
            elements = _read_archive(archive)
    except UnreadableDocument:
        raise
    except Exception as exc:  # zlib.error, ParseError, DefusedXmlException, RecursionError, ...
        raise UnreadableDocument(f"corrupt HWPX file ({type(exc).__name__}: {exc})") from exc
    if not any(isinstance(e, TableElement) or e.text.strip() for e in elements):
        raise UnreadableDocument("HWPX document has no text")
    return elements


def _read_archive(archive: zipfile.ZipFile) -> list[Element]:
    names = set(archive.namelist())
    if "mimetype" not in names:
        raise UnreadableDocument("not an HWPX file (no mimetype entry)")
    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    if mimetype != HWPX_MIMETYPE:
        raise UnreadableDocument(f"not an HWPX file (mimetype is {mimetype!r})")
    sections = _sections_from_package(archive, names) or _sections_by_name(archive, names)
    if not sections:
        raise UnreadableDocument("not an HWPX file (no Contents/section*.xml)")
    walker = _Walker()
    for root in sections:
        walker.paragraphs(root)
    return walker.elements


def _sections_from_package(archive: zipfile.ZipFile, names: set[str]) -> list[XmlElement]:
    """Section roots in spine order; [] when the package file is missing or useless.

    The spine also lists the header and other parts, so only items whose root is a
    section (``sec``) are kept.
    """
    hpf = _package_path(archive, names)
    if hpf is None:
        return []
    package = _parse(archive.read(hpf))
    hrefs = {item.get("id"): item.get("href", "") for item in _descendants(package, "item")}
    sections: list[XmlElement] = []
    for itemref in _descendants(package, "itemref"):
        href = hrefs.get(itemref.get("idref"), "")
        path = _member_path(href, posixpath.dirname(hpf), names)
        if path is None or not path.lower().endswith(".xml"):
            continue
        root = _parse(archive.read(path))
        if _local(root.tag) == "sec":
            sections.append(root)
    return sections


def _package_path(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The .hpf named by META-INF/container.xml (which also lists a preview text), else the usual path."""
    if "META-INF/container.xml" in names:
        for rootfile in _descendants(_parse(archive.read("META-INF/container.xml")), "rootfile"):
            path = rootfile.get("full-path", "").lstrip("/")
            if path.lower().endswith(".hpf") and path in names:
                return path
    return "Contents/content.hpf" if "Contents/content.hpf" in names else None


def _member_path(href: str, base: str, names: set[str]) -> str | None:
    """Hancom writes hrefs relative to the package root; the OPF spec says relative to the .hpf."""
    href = href.lstrip("/")
    for candidate in (href, posixpath.normpath(posixpath.join(base, href))):
        if candidate in names:
            return candidate
    return None


def _sections_by_name(archive: zipfile.ZipFile, names: set[str]) -> list[XmlElement]:
    """Fallback when the package file is missing: section0, section1, ... sorted as numbers, not text."""
    ordered = sorted((int(m.group(1)), n) for n in names if (m := _SECTION_NAME.match(n)))
    return [_parse(archive.read(n)) for _, n in ordered]


class _Walker:
    """Collects elements in document order; a class so nested calls share the output list."""

    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.paragraph_count = 0

    def paragraphs(self, container: XmlElement) -> None:
        for child in container:
            if _local(child.tag) == "p":
                self.paragraph(child)

    def paragraph(self, p: XmlElement) -> None:
        """One ``Line``; a table or text box anchored in the paragraph is emitted where it sits."""
        self.paragraph_count += 1
        number = self.paragraph_count
        text: list[str] = []
        had_object = False
        for run in p:
            if _local(run.tag) != "run":
                continue
            for item in run:
                tag = _local(item.tag)
                if tag == "t":
                    text.append(_t_text(item))
                elif tag == "tbl" or tag in _DRAWING_TAGS:
                    had_object = True
                    if "".join(text).strip():
                        self.elements.append(Line("".join(text).rstrip(), source_line=number))
                    text = []
                    if tag == "tbl":
                        self.elements.append(TableElement(_table_rows(item), source_line=number))
                    else:
                        for draw_text in _descendants(item, "drawText"):
                            for sub_list in (c for c in draw_text if _local(c.tag) == "subList"):
                                self.paragraphs(sub_list)
        line = "".join(text).rstrip()
        if line or not had_object:
            self.elements.append(Line(line, source_line=number))


def _t_text(t: XmlElement) -> str:
    """Text of an ``hp:t``: inline controls are children, and the text after each is its tail."""
    parts = [t.text or ""]
    for child in t:
        tag = _local(child.tag)
        if tag == "lineBreak":
            parts.append("\n")
        elif tag == "tab":
            parts.append("\t")
        elif tag in ("nbSpace", "fwSpace"):
            parts.append(" ")
        elif tag == "hyphen":
            parts.append("-")
        parts.append(child.tail or "")
    return "".join(parts)


def _table_rows(tbl: XmlElement) -> list[list[str]]:
    """Rows of cell texts.  Merged (covered) cells are simply absent in OWPML, so no de-duplication."""
    return [[_cell_text(tc) for tc in tr if _local(tc.tag) == "tc"] for tr in tbl if _local(tr.tag) == "tr"]


def _cell_text(tc: XmlElement) -> str:
    """A cell's paragraphs joined by newlines; a nested table is flattened into the text."""
    lines: list[str] = []
    for sub_list in (c for c in tc if _local(c.tag) == "subList"):
        for p in (c for c in sub_list if _local(c.tag) == "p"):
            text: list[str] = []
            for run in (c for c in p if _local(c.tag) == "run"):
                for item in run:
                    tag = _local(item.tag)
                    if tag == "t":
                        text.append(_t_text(item))
                    elif tag == "tbl":
                        if "".join(text).strip():
                            lines.append("".join(text).rstrip())
                        text = []
                        lines.extend(" | ".join(row) for row in _table_rows(item))
            lines.append("".join(text).rstrip())
    return "\n".join(lines).strip()


def _parse(xml: bytes) -> XmlElement:
    """defusedxml: the file is untrusted, and entity expansion is the classic way to hang a parser."""
    return SafeET.fromstring(xml)


def _descendants(root: XmlElement, local_name: str) -> Iterator[XmlElement]:
    return (el for el in root.iter() if _local(el.tag) == local_name)


def _local(tag: object) -> str:
    """Tag name without its namespace; comments and processing instructions have non-str tags."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

"""A file on disk -> a Document: pick the reader by file type, then parse the structure."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from assistant.ingest.document import BlockKind, Document
from assistant.ingest.elements import Element, UnreadableDocument
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.readers import docx, html, hwp, hwpx, pdf, text, xlsx
from assistant.ingest.structure import parse_structure

READERS: dict[str, tuple[str, Callable[[bytes], list[Element]]]] = {
    ".txt": ("text", text.read),
    ".md": ("markdown", text.read),
    ".markdown": ("markdown", text.read),
    ".html": ("html", html.read),
    ".htm": ("html", html.read),
    ".pdf": ("pdf", pdf.read),
    ".docx": ("docx", docx.read),
    ".hwpx": ("hwpx", hwpx.read),
    ".hwp": ("hwp", hwp.read),
    ".xlsx": ("xlsx", xlsx.read),
}
SUPPORTED_SUFFIXES = frozenset(READERS)


def load_document(path: Path, info: DocumentInfo | None = None, max_bytes: int = 50 * 2**20,
                  ocr: bool = False) -> Document:
    """Read and parse one file.  Raises UnreadableDocument with the reason it was skipped.

    ``ocr``: scanned PDF pages are read with Tesseract (slow: seconds a page), else reported as image only.
    """
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise UnreadableDocument(f"unsupported file type {suffix or '(none)'!r}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableDocument(f"file too large ({size / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from None
    fmt, reader = READERS[suffix]
    if fmt == "pdf" and ocr:
        reader = functools.partial(pdf.read, ocr=True)
    text_, blocks, places = parse_structure(reader(data))
    if not text_.strip():
        raise UnreadableDocument("no text in document")
    title = info.title if info else _first_heading(blocks) or path.stem
    return Document(
        doc_id=info.id if info else _slug(path.stem),
        title=title,
        text=text_,
        blocks=blocks,
        path=str(path),
        source_format=fmt,
        organization=info.organization if info else "",
        year=info.year if info else "",
        places=places,
    )


def _first_heading(blocks) -> str:
    return next((b.title for b in blocks if b.kind is BlockKind.HEADING and b.title), "")


def _slug(stem: str) -> str:
    slug = re.sub(r"[^\w가-힣-]+", "-", stem.strip()).strip("-").lower()
    return slug or "document"

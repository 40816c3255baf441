"""PDF reader: the text layer of each page, as plain lines.

A PDF knows nothing of headings or tables, only glyphs placed on a page, so every
text line becomes a ``Line`` and the structure parser recognises the rest.  Scans
(pages that are images) have no text layer: they are refused rather than indexed
empty, because OCR is not part of this pipeline.
"""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import DependencyError

from assistant.ingest.elements import Element, Line, UnreadableDocument

MAX_PAGES = 2000  # a public plan is tens of pages; thousands means a dump we should not index blindly
_HEADER_WINDOW = 1024  # like most viewers, tolerate junk before the "%PDF-" signature, but not much
_NEWLINE = re.compile(r"\r\n|\r|\n")

# pypdf logs a warning for every xref entry it repairs; a damaged-but-readable file is not news
# for the ingest report, and the warnings would flood the console during a bulk ingest.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read(data: bytes) -> list[Element]:
    """Every text line of the PDF, pages separated by a blank line.

    Library errors are wrapped because a corrupt upload must end up in the ingest
    report with a reason, not crash the whole ingest run.
    """
    if not data.strip():
        raise UnreadableDocument("empty file")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise UnreadableDocument("not a PDF file (no %PDF- header)")
    try:
        page_texts = _page_texts(data)
    except UnreadableDocument:
        raise
    except DependencyError as exc:  # AES: pypdf opens the file but needs `cryptography` for every object
        raise UnreadableDocument(f"encrypted PDF (decrypting it needs the cryptography package: {exc})") from exc
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError, ...) on bad files
        raise UnreadableDocument(f"corrupt or unsupported PDF ({type(exc).__name__}: {exc})") from exc

    elements: list[Element] = []
    for page_number, text in enumerate(page_texts):
        if page_number:
            elements.append(Line("", source_line=len(elements) + 1))
        for raw in _NEWLINE.split(text):
            elements.append(Line(raw.rstrip(), source_line=len(elements) + 1))
    if not any(isinstance(e, Line) and e.text.strip() for e in elements):
        raise UnreadableDocument("PDF has no extractable text (scanned image?)")
    return elements


def _page_texts(data: bytes) -> list[str]:
    """The raw extracted text of each page; raises on anything pypdf cannot handle."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        if not reader.decrypt(""):  # permissions-only encryption opens with the empty user password
            raise UnreadableDocument("encrypted PDF (a password is required to open it)")
    page_count = len(reader.pages)
    if page_count == 0:
        raise UnreadableDocument("PDF has no pages")
    if page_count > MAX_PAGES:
        raise UnreadableDocument(f"PDF has {page_count} pages, more than the limit of {MAX_PAGES}")
    return [page.extract_text(extraction_mode="plain") or "" for page in reader.pages]

"""PDF reader: each page's text lines and tables in reading order, after a ``Place`` with its page number.

A PDF knows nothing of headings, only glyphs placed on a page.  pdfplumber finds the
ruled tables (they arrive as ``TableElement`` rows, a cell's line breaks kept as
``\\n``) and groups the remaining glyphs into lines, which stay ``Line`` for the
structure parser.  A wide gap between lines becomes a blank line, as the eye reads
it: the parser needs one before a numbered title.  Running headers and footers
(``- 3 -``, ``2024 사업계획 | 5``) are dropped, because repeated on every page they
would split tables continued across pages and crowd every search.

Scans (pages that are only an image) have no text layer.  With ``ocr=True`` each is
rendered at 300 dpi with PDFium and read by Tesseract (``readers/ocr.py``); without
it they are left out with a warning, and a PDF made only of scans is refused.

pdfminer (under pdfplumber) inflates every compressed stream without a bound, so a
few kilobytes of PDF can expand to gigabytes, and PDFium is C++ reading hostile
input.  Both therefore run in a child process with a memory ceiling that must
report every page within a time limit: a bomb, a hang or a crash there ends as
``UnreadableDocument`` here, not as a dead or stuck ingest run.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import queue
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from assistant.ingest.elements import Element, Line, Place, TableElement, UnreadableDocument
from assistant.ingest.outline import split_marker
from assistant.ingest.readers import ocr as ocr_reader

MAX_PAGES = 2000  # a public plan is tens of pages; thousands means a dump we should not index blindly
_HEADER_WINDOW = 1024  # like most viewers, tolerate junk before the "%PDF-" signature, but not much

MEMORY_LIMIT_BYTES = 2**30  # address space; measured peaks: 85 MB for a 100-page plan, 133 MB with OCR
START_SECONDS = 60  # opening the file: importing the libraries and parsing the cross-reference table
PAGE_SECONDS = 60  # one page's text and tables; a dense real page takes well under a second
OCR_DPI = 300  # Tesseract's accuracy drops below ~250 dpi; more only costs time
MAX_RENDER_PIXELS = 40_000_000  # A3 at 300 dpi is 17 Mpx; a poster-sized page is rendered smaller

RUNNING_MIN_PAGES = 3  # on fewer pages a repeated line is as likely content as a running header
RUNNING_MIN_SHARE = 0.6  # share of pages a running header or footer must appear on (a cover page has none)
RUNNING_ZONE_LINES = 2  # lines at the top and at the bottom of a page that may be a running header or footer
PARAGRAPH_GAP = 0.5  # white space this many line heights wider than the page's line spacing: a paragraph break
SCAN_MAX_CHARS = 20  # a full-page image with fewer visible characters (a stamped page number) is a scan
SCAN_MIN_COVER = 0.5  # ... when the image covers this share of the page

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_TOO_BIG = f"PDF needs more than {MEMORY_LIMIT_BYTES // 2**30} GB of memory to read (a decompression bomb?)"
_CHILD = "from assistant.ingest.readers.pdf import extract_main; extract_main()"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])  # the directory holding the ``assistant`` package

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _TextLine:
    text: str
    top: float  # PDF points from the top of the page; OCR'd lines: their number on the page
    bottom: float
    paragraph_start: bool = False  # OCR: Tesseract left a blank line before it


@dataclass(frozen=True)
class _Table:
    rows: list[list[str]]
    top: float
    bottom: float


@dataclass
class _Page:
    number: int  # 1-based
    items: list[_TextLine | _Table] = field(default_factory=list)  # top to bottom
    image_only: bool = False  # a scan: no text layer of its own
    ocr_done: bool = False


def read(data: bytes, *, ocr: bool = False) -> list[Element]:
    """The text lines and tables of every page, each page introduced by its ``Place``.

    Scanned pages are read by OCR when ``ocr`` is set, else skipped with a warning
    (and a PDF of nothing but scans is refused, so it is not indexed empty).
    """
    if not data.strip():
        raise UnreadableDocument("empty file")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise UnreadableDocument("not a PDF file (no %PDF- header)")
    pages = _extract_in_child(data, ocr)
    unread = [page.number for page in pages if page.image_only and not page.ocr_done]
    content = [page for page in pages if page.items]
    if not content:
        if unread:
            raise UnreadableDocument(f"PDF is image only, needs OCR (scanned pages: {_page_list(unread)})")
        raise UnreadableDocument("PDF has no extractable text")
    if unread:
        log.warning("PDF read without its scanned pages (image only, needs OCR): %s", _page_list(unread))
    _drop_running_lines(content)
    return _elements(content)


# -- elements --------------------------------------------------------------------------------------


def _elements(pages: list[_Page]) -> list[Element]:
    """Pages separated by a blank line; paragraph gaps and the end of a table become blank lines too."""
    elements: list[Element] = []
    count = 0  # lines and tables so far, for ``source_line``

    def add(element_type: type, *args: Any) -> None:
        nonlocal count
        count += 1
        elements.append(element_type(*args, source_line=count))

    for page in pages:
        if count:
            add(Line, "")
        elements.append(Place(page=page.number))
        breaks = _paragraph_breaks(page.items, by_position=not page.ocr_done)
        for index, item in enumerate(page.items):
            if index in breaks:
                add(Line, "")
            if isinstance(item, _Table):
                add(TableElement, item.rows)
            else:
                add(Line, item.text)
    return elements


def _paragraph_breaks(items: list[_TextLine | _Table], by_position: bool) -> set[int]:
    """Indexes of the items a blank line goes before: after a table, and a new paragraph.

    A paragraph starts where the space above a line is clearly wider than the page's
    line spacing or, on an OCR'd page, where Tesseract says so.
    """
    breaks = {
        i for i in range(1, len(items))
        if isinstance(items[i], _TextLine) and (isinstance(items[i - 1], _Table) or items[i].paragraph_start)
    }
    if not by_position:
        return breaks
    gaps = {  # the white space above a line, in heights of that line
        i: (items[i].top - items[i - 1].bottom) / max(items[i].bottom - items[i].top, 1.0)
        for i in range(1, len(items))
        if isinstance(items[i - 1], _TextLine) and isinstance(items[i], _TextLine)
    }
    if spacing := [gap for gap in gaps.values() if gap >= 0]:  # overlapping lines say nothing of the spacing
        usual = min(spacing)  # the line spacing inside a paragraph (most gaps may be between paragraphs)
        breaks |= {i for i, gap in gaps.items() if gap > usual + PARAGRAPH_GAP}
    return breaks


def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove lines that recur at the top or the bottom of most pages (digits ignored: page numbers).

    The edge is peeled one line at a time: the second line from the top is only a
    candidate on pages whose first line was a running header.
    """
    if len(pages) < RUNNING_MIN_PAGES:
        return
    for from_bottom in (False, True):
        peeled = {page.number: 0 for page in pages}  # running lines found at this edge of each page
        still_open = set(peeled)  # pages whose lines so far at this edge were all running
        for _ in range(RUNNING_ZONE_LINES):
            candidates = {}
            for page in pages:
                items = page.items[::-1] if from_bottom else page.items
                depth = peeled[page.number]
                if page.number in still_open and depth < len(items) and _may_run(items[depth]):
                    candidates[page.number] = _running_key(items[depth])
                else:
                    still_open.discard(page.number)
            counts = Counter(candidates.values())
            for number, key in candidates.items():
                if counts[key] >= RUNNING_MIN_SHARE * len(pages):
                    peeled[number] += 1
                else:
                    still_open.discard(number)
        for page in pages:
            if depth := peeled[page.number]:
                page.items = page.items[:-depth] if from_bottom else page.items[depth:]


def _may_run(item: _TextLine | _Table) -> bool:
    """Tables are content, and so is a line opening with a heading's marker (``1.``, ``Ⅱ.``, ``□``)."""
    return isinstance(item, _TextLine) and split_marker(item.text)[0].kind not in ("roman", "digit", "glyph")


def _running_key(line: _TextLine) -> str:
    return _DIGITS.sub("0", _SPACES.sub("", line.text))


def _page_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:20])
    return shown + (f" and {len(numbers) - 20} more" if len(numbers) > 20 else "")


# -- the reading process ---------------------------------------------------------------------------


def _extract_in_child(data: bytes, ocr: bool) -> list[_Page]:
    """The pages, read by a child process that is killed if it runs out of time."""
    command = [sys.executable, "-c", _CHILD, *(["--ocr"] if ocr else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
    page_seconds = PAGE_SECONDS + (ocr_reader.PAGE_TIMEOUT_SECONDS if ocr else 0)
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env,
                                 start_new_session=True)  # its own process group: Tesseract goes with it
        messages: queue.Queue[bytes | None] = queue.Queue()
        pump = threading.Thread(target=_pump, args=(child, data, messages), daemon=True)
        pump.start()
        try:
            pages: list[_Page] = []
            timeout = START_SECONDS
            while (line := _next_message(messages, timeout, len(pages))) is not None:
                try:
                    message = json.loads(line)
                except ValueError:  # a native library wrote to the process's stdout
                    stray = line[:80].decode("utf-8", "replace").strip()
                    raise UnreadableDocument(f"PDF reader process wrote something other than its messages: {stray!r}") from None
                if "error" in message:
                    raise UnreadableDocument(message["error"])
                if message.get("done"):
                    return pages
                if "page" in message:
                    pages.append(_page_of(message))
                timeout = page_seconds
            _kill(child)  # the output ended without "done": the child died; this only reaps it
            stderr.seek(0)
            last = stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
            how = f"killed by signal {-child.returncode}" if child.returncode < 0 else f"exit status {child.returncode}"
            raise UnreadableDocument(f"PDF reader process failed ({how}{': ' + last[0] if last else ''})")
        finally:
            _kill(child)
            pump.join(timeout=10)  # the dead child's output has ended, so the pump has too
            for pipe in (child.stdin, child.stdout):
                if pipe is not None:
                    pipe.close()


def _next_message(messages: queue.Queue[bytes | None], timeout: float, done: int) -> bytes | None:
    try:
        return messages.get(timeout=timeout)
    except queue.Empty:
        what = "opening the PDF" if not done else f"reading page {done + 1}"
        raise UnreadableDocument(f"PDF took too long to read ({what} took over {timeout:.0f} s)") from None


def _pump(child: subprocess.Popen[bytes], data: bytes, messages: queue.Queue[bytes | None]) -> None:
    """Feed the PDF to the child and pass its output lines on, so the caller can wait with a timeout."""
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(data)
        child.stdin.close()
    except OSError:  # the child died before reading everything; its exit status tells why
        pass
    for line in child.stdout:
        messages.put(line)
    messages.put(None)


def _kill(child: subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (a Tesseract run included) and reap the child; a child that has
    already exited keeps its own exit status."""
    if child.returncode is not None:
        return  # reaped: its group id may belong to someone else by now
    try:
        os.killpg(child.pid, signal.SIGKILL)  # before wait(): the group id stays ours until the child is reaped
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def _page_of(message: dict[str, Any]) -> _Page:
    items: list[_TextLine | _Table] = [
        _Table(item["rows"], item["top"], item["bottom"]) if "rows" in item
        else _TextLine(item["text"], item["top"], item["bottom"], item.get("paragraph_start", False))
        for item in message["items"]
    ]
    return _Page(message["page"], items, message["image_only"], message["ocr_done"])


# -- in the child process --------------------------------------------------------------------------


def extract_main() -> None:
    """Entry point of the reading process: the PDF on stdin, one JSON line per page on stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # a warning for every repaired object is not news
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing a library prints may corrupt the messages

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False) + "\n")
        out.flush()

    try:
        data = sys.stdin.buffer.read()
        for message in _page_messages(data, ocr="--ocr" in sys.argv[1:]):
            send(message)
        send({"done": True})
    except UnreadableDocument as exc:
        send({"error": str(exc)})
    except MemoryError:
        send({"error": _TOO_BIG})
    except RecursionError:
        send({"error": "corrupt PDF (its objects refer to each other in an endless loop)"})
    except Exception as exc:  # pdfminer raises many types (PSEOF, PDFSyntaxError, KeyError, ...) on bad files
        send({"error": _reason(exc)})


def _reason(exc: Exception) -> str:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, MemoryError):
        return _TOO_BIG
    if isinstance(cause, PDFPasswordIncorrect):
        return "encrypted PDF (a password is required to open it)"
    if isinstance(cause, PDFEncryptionError):
        return f"encrypted PDF (unsupported encryption: {cause})"
    detail = str(cause)
    detail = detail[:200] + "..." if len(detail) > 200 else detail  # pdfminer quotes whole streams in messages
    return f"corrupt or unsupported PDF ({type(cause).__name__}: {detail})"


def _page_messages(data: bytes, ocr: bool) -> Iterator[dict[str, Any]]:
    with pdfplumber.open(io.BytesIO(data), unicode_norm="NFC") as pdf:
        count = len(pdf.pages)
        if count == 0:
            raise UnreadableDocument("PDF has no pages")
        if count > MAX_PAGES:
            raise UnreadableDocument(f"PDF has {count} pages, more than the limit of {MAX_PAGES}")
        renderer: pypdfium2.PdfDocument | None = None
        for number, page in enumerate(pdf.pages, start=1):
            message: dict[str, Any] = {"page": number, "items": [], "image_only": _is_scan(page), "ocr_done": False}
            if not message["image_only"]:
                message["items"] = _page_items(page)
            elif ocr:
                if renderer is None:
                    ocr_reader.check_available()
                    renderer = pypdfium2.PdfDocument(data)
                message["items"] = _ocr_items(renderer, number)
                message["ocr_done"] = True
            page.close()  # frees the page's parsed layout
            yield message


def _is_scan(page: pdfplumber.page.Page) -> bool:
    """A page that is an image with no text layer of its own (a stamped page number aside)."""
    if not page.images:
        return False
    visible = sum(1 for char in page.chars if char["text"].strip())
    if not visible:
        return True
    area = page.width * page.height
    covered = max(
        max(0, min(image["x1"], page.width) - max(image["x0"], 0))
        * max(0, min(image["bottom"], page.height) - max(image["top"], 0))
        for image in page.images
    )
    return visible < SCAN_MAX_CHARS and area > 0 and covered >= SCAN_MIN_COVER * area


def _page_items(page: pdfplumber.page.Page) -> list[dict[str, Any]]:
    """The page's tables and the text lines outside them, top to bottom."""
    page = page.dedupe_chars()  # bold faked by printing a glyph twice would read "사사업업"
    items: list[dict[str, Any]] = []
    boxes = []
    for table in page.find_tables():
        rows = [[(cell or "").strip() for cell in row] for row in table.extract()]
        rows = [row for row in rows if any(row)]
        if not any(sum(1 for cell in row if cell) >= 2 for row in rows):
            continue  # a box drawn round a paragraph or a title is not a table: its text stays lines
        boxes.append(table.bbox)
        items.append({"rows": rows, "top": round(table.bbox[1], 1), "bottom": round(table.bbox[3], 1)})

    def outside_tables(obj: dict[str, Any]) -> bool:
        if obj["object_type"] != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    text_page = page.filter(outside_tables) if boxes else page
    for line in text_page.extract_text_lines(return_chars=False):
        if line["text"].strip():
            items.append({"text": line["text"], "top": round(line["top"], 1), "bottom": round(line["bottom"], 1)})
    items.sort(key=lambda item: item["top"])
    return items


def _ocr_items(renderer: pypdfium2.PdfDocument, number: int) -> list[dict[str, Any]]:
    """The text lines Tesseract reads on a render of the page, numbered from the top."""
    if number > len(renderer):  # PDFium and pdfminer disagree about a damaged page tree
        raise UnreadableDocument(f"corrupt PDF (page {number} cannot be rendered for OCR)")
    page = renderer[number - 1]
    width, height = page.get_size()
    scale = OCR_DPI / 72
    if width * height * scale**2 > MAX_RENDER_PIXELS:
        scale = math.sqrt(MAX_RENDER_PIXELS / (width * height))
    image = page.render(scale=scale, grayscale=True).to_pil()
    page.close()
    lines = ocr_reader.read_lines(image, dpi=round(scale * 72))
    return [{"text": line.text, "top": n, "bottom": n, "paragraph_start": line.paragraph_start}
            for n, line in enumerate(lines, start=1)]

"""How fast is ingest per file format?  The same Korean text and tables written in every format.

The corpus' plan documents (corpus/*.txt) are read once with the text reader and repeated until
their text reaches --mb megabytes; those headings, lines and tables are then written as txt, md,
html, docx (python-docx), hwpx (the tests' package builder), pdf (fpdf2 with NanumGothic), xlsx
(openpyxl, one sheet per corpus document, lines as one-cell rows) and hwp (tests/ingest/hwp_builder.py,
when it and a .hwp reader exist).  For each file it measures CPU seconds (this process and its child
processes), best of --repeat runs (one run when it takes over 20 s):

    read   the format's reader alone
    load   assistant.ingest.load.load_document: the reader and the structure parse
    chunk  assistant.chunking.splitter.chunk_document on the loaded document

and prints seconds per MB of file and per MB of extracted text (UTF-8), and load time per text MB
relative to the text reader's, so formats of very different file sizes compare fairly.  CPU time,
not wall time, because the machines this runs on are shared; load's wall time is printed beside it.

    .venv/bin/python bench/ingest_formats.py                  # ~1 MB of text per format, best of 3 (~20 min:
                                                              # the PDF alone is minutes to write and read)
    .venv/bin/python bench/ingest_formats.py --mb 0.3 --repeat 1 --keep /tmp/ingest-bench
"""

from __future__ import annotations

import argparse
import importlib
import logging
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import docx
import openpyxl
from fpdf import FPDF

from assistant.chunking.splitter import chunk_document
from assistant.ingest.document import BlockKind, Document
from assistant.ingest.elements import Element, Heading, Line, TableElement, UnreadableDocument
from assistant.ingest.load import READERS, load_document
from assistant.ingest.readers import text as text_reader
from assistant.ingest.readers import xlsx as xlsx_reader
from assistant.ingest.structure import parse_structure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' writers of real HWPX and HWP files
sys.path.insert(0, str(ROOT / "tests" / "ingest"))
from builders import hwpx, nanum_font, p, section, t, table  # noqa: E402

MB = 2**20
Doc = list[Element]  # one corpus document's elements


# --- the content ---------------------------------------------------------------------------------


def corpus_documents(target_bytes: int) -> list[Doc]:
    """The corpus documents' elements, repeated until their text is ``target_bytes`` long."""
    sources = [text_reader.read(path.read_bytes()) for path in sorted((ROOT / "corpus").glob("*.txt"))]
    if not sources:
        sys.exit("no corpus/*.txt to build the documents from")
    documents: list[Doc] = []
    size = 0
    while size < target_bytes:
        elements = sources[len(documents) % len(sources)]
        documents.append(elements)
        size += len(to_txt([elements]))
    return documents


def _cell(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ")


def _blocks(documents: list[Doc]):
    """(kind, payload) per element, a blank line dropped: every writer lays out its own spacing."""
    for elements in documents:
        for element in elements:
            if isinstance(element, TableElement) and element.rows:
                yield "table", element.rows
            elif isinstance(element, Heading):
                yield "heading", element
            elif isinstance(element, Line) and element.text.strip():
                yield "line", element.text


# --- writers, one per format ---------------------------------------------------------------------


def to_txt(documents: list[Doc]) -> bytes:
    out: list[str] = []
    for kind, payload in _blocks(documents):
        if kind == "table":
            out.extend(["", *("\t".join(_cell(c) for c in row) for row in payload), ""])
        elif kind == "heading":
            out.append(payload.text)
        else:
            out.append(payload)
    return "\n".join(out).encode("utf-8")


def to_md(documents: list[Doc]) -> bytes:
    out: list[str] = []
    for kind, payload in _blocks(documents):
        if kind == "table":
            width = max(len(row) for row in payload)
            rows = [[_cell(c).replace("|", "/") for c in row] + [""] * (width - len(row)) for row in payload]
            out.extend(["", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * width])
            out.extend("| " + " | ".join(row) + " |" for row in rows[1:])
            out.append("")
        elif kind == "heading":
            out.extend(["", "#" * min(payload.level, 6) + " " + payload.text, ""])
        else:
            out.append(payload)
    return "\n".join(out).encode("utf-8")


def to_html(documents: list[Doc]) -> bytes:
    out = ['<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>계획</title></head><body>']
    for kind, payload in _blocks(documents):
        if kind == "table":
            out.append("<table>")
            for row in payload:
                cells = "".join(f"<td>{escape(c).replace(chr(10), '<br>')}</td>" for c in row)
                out.append(f"<tr>{cells}</tr>")
            out.append("</table>")
        elif kind == "heading":
            level = min(payload.level, 6)
            out.append(f"<h{level}>{escape(payload.text)}</h{level}>")
        else:
            out.append(f"<p>{escape(payload)}</p>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


def to_docx(documents: list[Doc]) -> bytes:
    document = docx.Document()
    for kind, payload in _blocks(documents):
        if kind == "table":
            width = max(len(row) for row in payload)
            grid = document.add_table(rows=len(payload), cols=width)
            for row, cells in zip(grid.rows, payload):
                for cell, text in zip(row.cells, cells):
                    cell.text = text
        elif kind == "heading":
            document.add_heading(payload.text, min(payload.level, 9))
        else:
            document.add_paragraph(payload)
    path = Path(tempfile.mkstemp(suffix=".docx")[1])
    try:
        document.save(str(path))
        return path.read_bytes()
    finally:
        path.unlink()


def _xml(text: str) -> str:
    return xml_escape(text)


def to_hwpx(documents: list[Doc]) -> bytes:
    paragraphs: list[str] = []
    for kind, payload in _blocks(documents):
        if kind == "table":  # the builder separates a cell's paragraphs with "|"
            paragraphs.append(p(table([[_xml(c.replace("|", "/")).replace("\n", "|") for c in row]
                                       for row in payload])))
        else:
            paragraphs.append(p(t(_xml(payload.text if kind == "heading" else payload))))
    return hwpx({"Contents/section0.xml": section(*paragraphs)})


def to_pdf(documents: list[Doc]) -> bytes:
    # glyphs NanumGothic lacks (a few symbols) are dropped, and fontTools reports the font tables it leaves out
    for name in ("fpdf", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    pdf = FPDF()
    pdf.add_font("Nanum", fname=nanum_font())
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    for kind, payload in _blocks(documents):
        width = max(len(row) for row in payload) if kind == "table" else 0
        if kind == "table" and (width > 8 or any(len(c) > 150 for row in payload for c in row)):
            # fpdf2 cannot split a row over pages: a wide table's rows are printed as spaced-out lines
            pdf.set_font("Nanum", size=8)
            for row in payload:
                pdf.multi_cell(0, 4, "   ".join(_cell(c) for c in row), new_x="LMARGIN", new_y="NEXT")
        elif kind == "table":
            pdf.set_font("Nanum", size=8)
            with pdf.table(first_row_as_headings=False, line_height=4) as grid:
                for cells in payload:
                    row = grid.row()
                    for text in [*cells, *[""] * (width - len(cells))]:
                        row.cell(text)
        else:
            pdf.set_font("Nanum", size=14 if kind == "heading" else 10)
            pdf.multi_cell(0, 6, payload.text if kind == "heading" else payload, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def to_xlsx(documents: list[Doc]) -> bytes:
    """A sheet per corpus document: a table starts in column A between empty rows, a line is a one-cell row."""
    workbook = openpyxl.Workbook(write_only=True)
    for number, elements in enumerate(documents, start=1):
        sheet = workbook.create_sheet(f"문서 {number}")
        for kind, payload in _blocks([elements]):
            if kind == "table":
                sheet.append([])
                for row in payload:
                    sheet.append(row)
                sheet.append([])
            else:
                sheet.append([payload.text if kind == "heading" else payload])
    path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    try:
        workbook.save(str(path))
        return path.read_bytes()
    finally:
        path.unlink()


def hwp_writer() -> Callable[[list[Doc]], bytes] | None:
    """tests/ingest/hwp_builder.py writes real HWP 5.0 files, if it is there (it is being written)."""
    try:
        builder = importlib.import_module("hwp_builder")
    except ImportError:
        return None

    def to_hwp(documents: list[Doc]) -> bytes:
        blocks: list[str | list[list[str]]] = []
        for kind, payload in _blocks(documents):
            blocks.append(payload if kind == "table" else payload.text if kind == "heading" else payload)
        return builder.hwp_document(blocks)

    return to_hwp


# --- timing --------------------------------------------------------------------------------------


def reader_for(suffix: str) -> tuple[str, Callable[[bytes], list[Element]]] | None:
    """The reader load.py maps the suffix to; xlsx and hwp directly while load.py does not map them yet."""
    if suffix in READERS:
        return READERS[suffix]
    if suffix == ".xlsx":
        return "xlsx", xlsx_reader.read
    try:
        module = importlib.import_module(f"assistant.ingest.readers.{suffix.lstrip('.')}")
    except ImportError:
        return None
    return suffix.lstrip("."), module.read


def load(path: Path) -> Document:
    """load_document, or the same steps for a format load.py does not map yet."""
    if path.suffix in READERS:
        return load_document(path)
    fmt, read = reader_for(path.suffix)
    text, blocks, places = parse_structure(read(path.read_bytes()))
    return Document(path.stem, path.stem, text, blocks, path=str(path), source_format=fmt, places=places)


SLOW_RUN_SECONDS = 20  # a run this long is measured once: its noise is small beside it


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the PDF reader extracts in a child process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measure(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best CPU seconds, best wall seconds and the result of ``repeat`` runs.

    CPU time is the figure to compare: on a machine shared with other work the wall
    time of the same run varies severalfold, its CPU time far less.
    """
    best_cpu = best_wall = float("inf")
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = run()
        best_cpu = min(best_cpu, cpu_seconds() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
        if best_wall > SLOW_RUN_SECONDS:
            break
    return best_cpu, best_wall, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=1.0, help="text megabytes per document (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    parser.add_argument("--formats", default="txt,md,html,docx,hwpx,pdf,xlsx,hwp")
    parser.add_argument("--keep", type=Path, help="write the generated files here (default: a temporary folder)")
    args = parser.parse_args()

    writers: dict[str, Callable[[list[Doc]], bytes] | None] = {
        "txt": to_txt, "md": to_md, "html": to_html, "docx": to_docx, "hwpx": to_hwpx, "pdf": to_pdf,
        "xlsx": to_xlsx, "hwp": hwp_writer(),
    }
    documents = corpus_documents(int(args.mb * MB))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ingest-formats-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"content: {len(documents)} corpus documents, {len(to_txt(documents)) / MB:.2f} MB as text; "
          f"best of {args.repeat}; files in {folder}")
    header = (f"{'format':<6} {'file MB':>7} {'text MB':>7} {'read':>6} {'load':>6} {'wall':>6} "
              f"{'s/file MB':>9} {'s/text MB':>9} {'vs txt':>6} {'tables':>6} {'chunk':>6} {'chunks':>6}")
    print(header)
    print("-" * len(header))
    # Kiwi's model and the readers' imports load on first use: not part of any format's figure
    warm_up = folder / "warm-up.txt"
    warm_up.write_bytes(to_txt(documents[:1]))
    chunk_document(load_document(warm_up))
    warm_up.unlink()
    txt_rate = None
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        writer = writers.get(fmt)
        if writer is None or reader_for(f".{fmt}") is None:
            why = "no writer (tests/ingest/hwp_builder.py missing or not importable)" if writer is None else f"no .{fmt} reader"
            print(f"{fmt:<6} skipped: {why}")
            continue
        data = writer(documents)
        path = folder / f"plan.{fmt}"
        path.write_bytes(data)
        read = reader_for(path.suffix)[1]
        try:
            read_s, _, _ = measure(lambda: read(data), args.repeat)  # noqa: B023 - called before the loop moves on
            load_s, load_wall, document = measure(lambda: load(path), args.repeat)  # noqa: B023
        except UnreadableDocument as exc:
            print(f"{fmt:<6} unreadable: {exc}")
            continue
        chunk_s, _, chunks = measure(lambda: chunk_document(document), args.repeat)  # noqa: B023
        file_mb, text_mb = len(data) / MB, len(document.text.encode("utf-8")) / MB
        rate = load_s / text_mb
        txt_rate = txt_rate or (rate if fmt == "txt" else None)
        tables = sum(1 for block in document.blocks if block.kind is BlockKind.TABLE)
        print(f"{fmt:<6} {file_mb:7.2f} {text_mb:7.2f} {read_s:6.2f} {load_s:6.2f} {load_wall:6.2f} "
              f"{load_s / file_mb:9.2f} {rate:9.2f} {(f'{rate / txt_rate:.1f}x' if txt_rate else '-'):>6} "
              f"{tables:6d} {chunk_s:6.2f} {len(chunks):6d}", flush=True)
    print("CPU seconds, best of the runs: read = the reader alone; load = load_document (reader + structure "
          "parse), wall = its wall-clock time; s/file MB and s/text MB = load per MB of file and of extracted "
          "text; vs txt = s/text MB over the text reader's; chunk = chunk_document.")


if __name__ == "__main__":
    main()

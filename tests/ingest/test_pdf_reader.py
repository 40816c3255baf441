"""The PDF reader on PDFs written here with fpdf2: lines, tables, pages, running headers, scans and OCR, bad files."""

from __future__ import annotations

import io
import logging
import re
import time
import zlib
from pathlib import Path

import pytest
from builders import nanum_font, to_bytes
from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from rapidfuzz.distance import Levenshtein

from assistant.ingest.document import BlockKind, Document
from assistant.ingest.elements import Element, Line, Place, TableElement, UnreadableDocument
from assistant.ingest.readers import pdf as pdf_reader
from assistant.ingest.structure import parse_structure

PARAGRAPHS = [
    "□ 추진 배경",
    "원도심 쇠퇴에 대응하여 주민이 주도하는 도시재생 사업을 확대하고, 마을 단위의 공동체 활동을 지원하여 "
    "지역 경제의 활력을 되찾는다.",
    "○ 도시재생지원센터는 주민 역량 강화 교육과 현장 상담을 맡는다.",
]
HEADER = ["구분", "내용", "예산(백만원)"]
ROWS = [
    ["센터 운영", "상담 및 교육\n현장 지원", "1,200"],
    ["주민 공모", "마을 계획 수립", "350"],
    ["협동조합", "설립 지원 (5개소)", "420"],
]
RUNNING_HEADER = "2024 대전광역시 도시재생 추진계획"
SCAN_TEXT = [
    "2024년 대전광역시 도시재생 추진계획",
    "□ 추진 배경",
    "○ 원도심 쇠퇴에 대응하여 주민 주도의 재생사업을 확대한다.",
    "○ 사업 기간: 2024. 3. ~ 2024. 12. (10개월)",
    "□ 주요 내용",
    "- 도시재생지원센터 운영 및 주민 역량 강화 교육",
    "- 마을관리 협동조합 설립 지원 (5개소, 350백만원)",
    "※ 문의: 도시재생과 ☎ 042-270-6321",
]
# Measured 0.987 of the characters right (Tesseract 5.3.0, kor model): one ○ read as "<", and ☎ is not in
# the model; the rest is exact.  The floor leaves room for another Tesseract build, not for a broken reader.
OCR_ACCURACY_FLOOR = 0.95


def squash(text: str) -> str:
    """pdfplumber's spacing follows glyph positions, so paragraphs are compared without whitespace."""
    return re.sub(r"\s+", "", text)


def accuracy(expected: str, got: str) -> float:
    """1 - edit distance / length, whitespace ignored."""
    expected, got = squash(expected), squash(got)
    return 1 - Levenshtein.distance(expected, got) / len(expected)


class Plan(FPDF):
    """An A4 plan with Korean text; with ``running`` set, a header and a "- n -" footer on every page."""

    def __init__(self, running: bool = False) -> None:
        super().__init__()
        self.running = running
        font = Path(nanum_font())
        self.add_font("Nanum", fname=str(font))
        bold = font.with_name("NanumGothicBold.ttf")
        self.add_font("Nanum", style="B", fname=str(bold if bold.is_file() else font))  # table headings are bold
        self.set_font("Nanum", size=11)

    def header(self) -> None:
        if self.running:
            self.set_font("Nanum", size=9)
            self.cell(0, 8, RUNNING_HEADER, align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)
            self.set_font("Nanum", size=11)

    def footer(self) -> None:
        if self.running:
            self.set_y(-15)
            self.set_font("Nanum", size=9)
            self.cell(0, 8, f"- {self.page_no()} -", align="C")
            self.set_font("Nanum", size=11)

    def paragraph(self, text: str) -> None:
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(6)  # the space a word processor leaves after a paragraph

    def data_table(self, rows: list[list[str]]) -> None:
        with self.table(headings_style=FontFace(emphasis="BOLD")) as table:
            for cells in rows:
                row = table.row()
                for cell in cells:
                    row.cell(cell)
        self.ln(6)

    def bytes(self) -> bytes:
        return bytes(self.output())


def scan_image(lines: list[str]) -> Image.Image:
    """An A4 page at 300 dpi with the lines drawn in NanumGothic at about 11.5 pt, as a scanner would see it."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(nanum_font(), 48)
    for number, line in enumerate(lines):
        draw.text((200, 250 + 110 * number), line, font=font, fill=0)
    return image


def scan_pdf(pages: list[Image.Image | str]) -> bytes:
    """One page per entry: an image alone on the page (a scan), or a line of real text."""
    pdf = Plan()
    for page in pages:
        pdf.add_page()
        if isinstance(page, str):
            pdf.paragraph(page)
        else:
            pdf.image(page, x=0, y=0, w=pdf.w, h=pdf.h)
    return pdf.bytes()


def texts(elements: list[Element]) -> list[str]:
    return [e.text for e in elements if isinstance(e, Line)]


def document_of(elements: list[Element]) -> Document:
    text, blocks, places = parse_structure(elements)
    return Document(doc_id="plan", title="plan", text=text, blocks=blocks, places=places)


# --- text and tables ------------------------------------------------------------------------------


def test_korean_paragraphs_become_lines_after_the_page_place() -> None:
    pdf = Plan()
    pdf.add_page()
    for text in PARAGRAPHS:
        pdf.paragraph(text)
    elements = pdf_reader.read(pdf.bytes())

    assert elements[0] == Place(page=1)
    assert all(isinstance(e, Line) for e in elements[1:])
    # the long paragraph wraps onto two lines; the gap after each paragraph is a blank line
    paragraphs = "\n".join(texts(elements)).split("\n\n")
    assert [squash(p) for p in paragraphs] == [squash(p) for p in PARAGRAPHS]
    assert len(texts(elements)) == 4 + 2  # 1 + 2 + 1 lines and 2 blank lines
    assert [e.source_line for e in elements[1:]] == list(range(1, len(elements)))


def test_table_rows_with_header_first_and_lines_around_it_in_page_order() -> None:
    pdf = Plan()
    pdf.add_page()
    pdf.paragraph(PARAGRAPHS[0])
    pdf.data_table([HEADER, *ROWS])
    pdf.paragraph("※ 세부 일정은 변동 가능")
    elements = pdf_reader.read(pdf.bytes())

    tables = [e for e in elements if isinstance(e, TableElement)]
    assert len(tables) == 1
    assert tables[0].rows == [HEADER, *ROWS]  # every cell as written, the line break inside a cell kept
    kinds = [type(e).__name__ for e in elements if not (isinstance(e, Line) and not e.text)]
    assert kinds == ["Place", "Line", "TableElement", "Line"]
    assert squash(texts(elements)[0]) == squash(PARAGRAPHS[0])
    assert squash(texts(elements)[-1]) == squash("※ 세부 일정은 변동 가능")

    table_block = next(b for b in document_of(elements).blocks if b.kind is BlockKind.TABLE)
    assert table_block.header == HEADER
    assert [row.cells for row in table_block.rows[1:]] == ROWS


def test_a_box_drawn_round_a_title_stays_a_line() -> None:
    pdf = Plan()
    pdf.add_page()
    pdf.cell(0, 10, "Ⅰ. 사업 개요", border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.paragraph(PARAGRAPHS[1])
    elements = pdf_reader.read(pdf.bytes())
    assert not any(isinstance(e, TableElement) for e in elements)
    assert squash(texts(elements)[0]) == squash("Ⅰ. 사업 개요")


# --- pages and running headers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def four_pages() -> tuple[bytes, list[list[str]]]:
    """Four pages with a running header and footer; a table starts on page 2 and runs onto page 3."""
    rows = [HEADER] + [[f"{n}. 세부 과제", f"주민 참여 사업 {n}", f"{n * 10}"] for n in range(1, 41)]
    pdf = Plan(running=True)
    pdf.add_page()
    pdf.paragraph("Ⅰ. 추진 배경")
    pdf.paragraph(PARAGRAPHS[1])
    pdf.add_page()
    pdf.paragraph("Ⅱ. 세부 과제")
    pdf.data_table(rows)
    pdf.paragraph("Ⅲ. 기대 효과")
    pdf.paragraph(PARAGRAPHS[2])
    pdf.add_page()
    pdf.paragraph("Ⅳ. 행정 사항")
    return pdf.bytes(), rows


def test_running_header_and_footer_are_dropped(four_pages: tuple[bytes, list[list[str]]]) -> None:
    data, _ = four_pages
    assert len(PdfReader(io.BytesIO(data)).pages) == 4
    elements = pdf_reader.read(data)
    assert [e.page for e in elements if isinstance(e, Place)] == [1, 2, 3, 4]
    lines = [squash(t) for t in texts(elements)]
    assert squash(RUNNING_HEADER) not in lines
    assert not any(re.fullmatch(r"-\d+-", line) for line in lines)
    assert squash("Ⅳ. 행정 사항") in lines


def test_table_continued_on_the_next_page_is_one_table(four_pages: tuple[bytes, list[list[str]]]) -> None:
    data, rows = four_pages
    elements = pdf_reader.read(data)
    tables = [e for e in elements if isinstance(e, TableElement)]
    assert len(tables) == 2  # one part per page, each with the header row fpdf2 prints again
    assert all(table.rows[0] == HEADER for table in tables)
    assert [row for table in tables for row in table.rows[1:]] == rows[1:]

    doc = document_of(elements)
    [table] = [b for b in doc.blocks if b.kind is BlockKind.TABLE]
    data_rows = [row.cells for row in table.rows if not row.repeated_header][1:]
    assert data_rows == rows[1:]
    assert doc.location(table.start, table.end).pages == (2, 3)
    assert doc.location(table.start, table.end).label == "pp. 2–3"


def test_every_block_knows_its_page(four_pages: tuple[bytes, list[list[str]]]) -> None:
    doc = document_of(pdf_reader.read(four_pages[0]))
    page_of = {squash(b.text): doc.location(b.start, b.end).pages for b in doc.blocks if b.kind is not BlockKind.TABLE}
    assert page_of[squash("Ⅰ. 추진 배경")] == (1,)
    assert page_of[squash(PARAGRAPHS[1])] == (1,)
    assert page_of[squash("Ⅱ. 세부 과제")] == (2,)
    assert page_of[squash("Ⅲ. 기대 효과")] == (3,)
    assert page_of[squash("Ⅳ. 행정 사항")] == (4,)
    headings = [b.title for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert [squash(h) for h in headings] == [squash(t) for t in ["추진 배경", "세부 과제", "기대 효과", "행정 사항"]]


def test_a_heading_at_the_top_of_every_page_is_content_not_a_running_header() -> None:
    pdf = Plan(running=True)
    for text in PARAGRAPHS[1:] * 2:
        pdf.add_page()
        pdf.paragraph("1. 사업 개요")  # each program's page opens with the same numbered heading
        pdf.paragraph(text)
    lines = [squash(t) for t in texts(pdf_reader.read(pdf.bytes()))]
    assert lines.count(squash("1. 사업 개요")) == 4
    assert squash(RUNNING_HEADER) not in lines


def test_a_line_repeated_on_two_pages_only_is_kept() -> None:
    pdf = Plan(running=True)
    for text in PARAGRAPHS[1:]:
        pdf.add_page()
        pdf.paragraph(text)
    lines = [squash(t) for t in texts(pdf_reader.read(pdf.bytes()))]
    assert lines.count(squash(RUNNING_HEADER)) == 2  # too few pages to tell a running header from content


# --- scans ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned_page() -> bytes:
    return scan_pdf([scan_image(SCAN_TEXT)])


def test_scanned_page_without_ocr_is_refused(scanned_page: bytes) -> None:
    with pytest.raises(UnreadableDocument, match=r"image only, needs OCR \(scanned pages: 1\)"):
        pdf_reader.read(scanned_page)


def test_scanned_page_is_read_by_ocr(scanned_page: bytes) -> None:
    elements = pdf_reader.read(scanned_page, ocr=True)
    assert elements[0] == Place(page=1)
    got = "\n".join(texts(elements))
    score = accuracy("\n".join(SCAN_TEXT), got)
    assert score >= OCR_ACCURACY_FLOOR, f"character accuracy {score:.3f}\n{got}"
    lines = [t for t in texts(elements) if t]
    assert len(lines) == len(SCAN_TEXT)  # Tesseract's lines are the drawn lines
    assert lines[1].startswith("□ ") and lines[4].startswith("□ ")  # bullets the Korean model reads as ㅁ


def test_scanned_pages_among_text_pages(caplog: pytest.LogCaptureFixture) -> None:
    data = scan_pdf(["첫 쪽은 글자가 있는 쪽이다.", scan_image(SCAN_TEXT[:3]), "셋째 쪽도 글자가 있다."])
    with caplog.at_level(logging.WARNING, logger=pdf_reader.__name__):
        elements = pdf_reader.read(data)
    assert [e.page for e in elements if isinstance(e, Place)] == [1, 3]
    assert [squash(t) for t in texts(elements) if t] == [squash("첫 쪽은 글자가 있는 쪽이다."), squash("셋째 쪽도 글자가 있다.")]
    assert "image only, needs OCR" in caplog.text and ": 2" in caplog.text

    elements = pdf_reader.read(data, ocr=True)
    assert [e.page for e in elements if isinstance(e, Place)] == [1, 2, 3]
    page_two = texts(elements[elements.index(Place(page=2)):elements.index(Place(page=3))])
    assert accuracy("".join(SCAN_TEXT[:3]), "".join(page_two)) >= OCR_ACCURACY_FLOOR


def test_blank_image_page_with_ocr_has_no_text() -> None:
    with pytest.raises(UnreadableDocument, match="no extractable text"):
        pdf_reader.read(scan_pdf([Image.new("L", (1240, 1754), 255)]), ocr=True)


# --- bad files ------------------------------------------------------------------------------------


def korean_pdf() -> bytes:
    pdf = Plan()
    pdf.add_page()
    pdf.paragraph(PARAGRAPHS[0])
    return pdf.bytes()


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_pdf_opens_with_the_empty_password_and_refuses_a_real_one(algorithm: str) -> None:
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(korean_pdf())))
        writer.encrypt(user_password, "owner-secret", algorithm=algorithm)
        return to_bytes(writer.write)

    assert squash(texts(pdf_reader.read(encrypted("")))[0]) == squash(PARAGRAPHS[0])
    with pytest.raises(UnreadableDocument, match="encrypted PDF \\(a password is required"):
        pdf_reader.read(encrypted("secret"))


def zeros_deflated(chunks: int, chunk: int = 2**24) -> bytes:
    """A zlib stream of ``chunks * chunk`` zero bytes, built from one compressed chunk repeated (fast to make)."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(bytes(chunk)) + raw.flush(zlib.Z_FULL_FLUSH)  # a full flush resets the state: repeatable
    end = raw.flush(zlib.Z_FINISH)
    adler32 = ((chunks * chunk) % 65521) << 16 | 1  # the Adler-32 of zeros: a stays 1, b counts the bytes
    return b"\x78\xda" + block * chunks + end + adler32.to_bytes(4, "big")


def pdf_of(content: bytes, filters: str) -> bytes:
    """A one-page PDF whose content stream is ``content``, written object by object with a correct xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), filters.encode()) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_decompression_bomb_is_refused() -> None:
    bomb = pdf_of(zlib.compress(zeros_deflated(256), 9), "[/FlateDecode /FlateDecode]")  # 7 KB -> 4 GB
    assert len(bomb) < 10_000
    with pytest.raises(UnreadableDocument, match="more than 1 GB of memory"):
        pdf_reader.read(bomb)


def test_reading_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_reader, "START_SECONDS", 0.05)  # a real child that cannot even start in time
    started = time.monotonic()
    with pytest.raises(UnreadableDocument, match="took too long to read \\(opening the PDF"):
        pdf_reader.read(korean_pdf())
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        ("import os; os.abort()", r"PDF reader process failed \(killed by signal 6"),  # as a crash in PDFium would
        ("import sys; sys.exit(3)", r"PDF reader process failed \(exit status 3"),
        ("print('PDFium says hello')", "wrote something other than its messages: 'PDFium says hello'"),
    ],
    ids=["abort", "exit", "stray-output"],
)
def test_a_reading_process_that_fails_is_reported(monkeypatch: pytest.MonkeyPatch, program: str, reason: str) -> None:
    # no PDF is known to crash the real libraries on demand, so the child runs a program that fails the same way
    monkeypatch.setattr(pdf_reader, "_CHILD", program)
    with pytest.raises(UnreadableDocument, match=reason):
        pdf_reader.read(korean_pdf())


def test_too_many_pages_is_refused() -> None:
    writer = PdfWriter()
    for _ in range(pdf_reader.MAX_PAGES + 1):
        writer.add_blank_page(width=595, height=842)
    with pytest.raises(UnreadableDocument, match="more than the limit"):
        pdf_reader.read(to_bytes(writer.write))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"PK\x03\x04 a zip, not a PDF", "not a PDF"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 40, "corrupt or unsupported PDF"),
        (pdf_of(b"BT /F1 12 Tf (x) Tj ET", "/FlateDecode"), "no extractable text"),  # not zlib data: no text
    ],
    ids=["empty", "blank", "zip", "binary", "bad-stream"],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        pdf_reader.read(data)

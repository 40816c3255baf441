"""PDF, DOCX and HWPX readers on real files built here with the real libraries (no mocks)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import docx
import pytest
from builders import hwpx, make_pdf, p, section, t, table, to_bytes, zip_of
from docx.enum.style import WD_STYLE_TYPE
from pypdf import PdfReader, PdfWriter

from assistant.ingest.elements import (
    Element,
    Heading,
    Line,
    ListItem,
    Place,
    TableElement,
    UnreadableDocument,
)
from assistant.ingest.readers import docx as docx_reader
from assistant.ingest.readers import hwpx as hwpx_reader
from assistant.ingest.readers import pdf as pdf_reader

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504  # legacy .doc / .hwp


def raises_unreadable(read: Callable[[bytes], list[Element]], data: bytes, match: str | None = None) -> None:
    with pytest.raises(UnreadableDocument, match=match):
        read(data)


def read_lines(read: Callable[[bytes], list[Element]], data: bytes) -> list[Line]:
    """The elements, which must all be ``Line``."""
    elements = [e for e in read(data) if not isinstance(e, Place)]  # page marks carry no text
    lines = [e for e in elements if isinstance(e, Line)]
    assert lines == elements
    return lines


def squash(text: str) -> str:
    """pypdf's spacing depends on glyph positions, so compare Korean text without whitespace."""
    return re.sub(r"\s+", "", text)


# --- PDF ---------------------------------------------------------------------------------------


PDF_PAGES = [["□ 대전도시재생지원센터 운영", "- 담당: 김유진 ☎ 8073-8312"], ["○ 목적 및 기대효과"]]


@pytest.fixture(scope="module")
def korean_pdf() -> bytes:
    return make_pdf(PDF_PAGES)


def encrypted(pdf: bytes, user_password: str, owner_password: str | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password, owner_password)
    return to_bytes(writer.write)


def test_pdf_lines_per_page_with_blank_line_between_pages(korean_pdf: bytes) -> None:
    elements = read_lines(pdf_reader.read, korean_pdf)
    assert [squash(e.text) for e in elements] == [squash(t) for t in [*PDF_PAGES[0], "", *PDF_PAGES[1]]]
    assert "8073-8312" in elements[1].text
    assert [e.source_line for e in elements] == [1, 2, 3, 4]


def test_pdf_with_owner_password_only_opens_with_empty_password(korean_pdf: bytes) -> None:
    elements = read_lines(pdf_reader.read, encrypted(korean_pdf, "", "owner-secret"))
    assert squash(elements[0].text) == squash(PDF_PAGES[0][0])


def test_pdf_needing_a_password_is_refused(korean_pdf: bytes) -> None:
    raises_unreadable(pdf_reader.read, encrypted(korean_pdf, "secret"), "encrypted")


@pytest.mark.parametrize("data", [b"%PDF-1.4 garbage", "first half", b"", b"hello"], ids=repr)
def test_corrupt_pdf_is_refused(korean_pdf: bytes, data: bytes | str) -> None:
    truncated = korean_pdf[: len(korean_pdf) // 2]
    raises_unreadable(pdf_reader.read, truncated if isinstance(data, str) else data, "PDF|empty")


def test_pdf_without_text_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    raises_unreadable(pdf_reader.read, to_bytes(writer.write), "no extractable text")


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_elements_in_document_order() -> None:
    d = docx.Document()
    d.add_heading("대전 도시재생 추진계획", level=0)  # the "Title" style
    d.add_heading("1. 사업 개요", level=1)
    d.add_heading("가. 추진 배경", level=2)
    d.add_paragraph("○ 목적 및 기대효과")
    d.add_paragraph("주민 참여 확대", style="List Bullet")
    d.add_paragraph("세부 과제", style="List Bullet 2")
    numbered = d.add_paragraph("하위 항목")
    num_pr = numbered._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 2
    num_pr.get_or_add_numId().val = 1
    d.add_paragraph("")
    table = d.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ["구분", "내용", "일정"]):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["센터 운영", "상담 및 교육\n현장 지원", "3월~12월"]):
        cell.text = text
    note = table.cell(2, 0)
    note.text = "비고"
    nested = note.add_table(rows=1, cols=2)
    nested.cell(0, 0).text, nested.cell(0, 1).text = "가", "나"
    table.cell(2, 1).merge(table.cell(2, 2)).text = "추후 확정"
    d.add_paragraph("※ 세부 일정은 변동 가능")
    d.styles.add_style("제목 2", WD_STYLE_TYPE.PARAGRAPH)  # the style name Korean Word writes
    d.add_paragraph("Ⅱ. 추진 계획", style="제목 2")

    assert docx_reader.read(to_bytes(d.save)) == [
        Heading("대전 도시재생 추진계획", 1, source_line=1),
        Heading("1. 사업 개요", 1, source_line=2),
        Heading("가. 추진 배경", 2, source_line=3),
        Line("○ 목적 및 기대효과", source_line=4),
        ListItem("주민 참여 확대", 0, source_line=5),
        ListItem("세부 과제", 1, source_line=6),
        ListItem("하위 항목", 2, source_line=7),
        Line("", source_line=8),
        TableElement(  # the merged cell once; the nested table flattened into its cell
            [["구분", "내용", "일정"], ["센터 운영", "상담 및 교육\n현장 지원", "3월~12월"], ["비고\n가 | 나", "추후 확정"]],
            source_line=9,
        ),
        Line("※ 세부 일정은 변동 가능", source_line=10),
        Heading("Ⅱ. 추진 계획", 2, source_line=11),
    ]


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 8, zip_of({"hello.txt": "안녕하세요"}), OLE_HEADER, to_bytes(docx.Document().save)],
    ids=["random", "zip without docx", "ole .doc", "empty document"],
)
def test_bad_docx_is_refused(data: bytes) -> None:
    raises_unreadable(docx_reader.read, data, "DOCX")


# --- HWPX --------------------------------------------------------------------------------------

def test_hwpx_paragraphs_and_tables_in_reading_order() -> None:
    first = p('<hp:run charPrIDRef="0"><hp:secPr/><hp:ctrl><hp:colPr/></hp:ctrl></hp:run>',
              t("□ 대전도시재생"), t("지원센터 운영"))  # fmt: skip
    schedule = p(t("○ 추진 일정<hp:lineBreak/>- 1단계:<hp:tab width='4000'/>3월"))
    data = hwpx({
        "Contents/section0.xml": section(
            first, schedule, p(table([["구분", "내용", "일정"], ["운영", "상담|교육", "3월"]])),
            p(t("연락처 | 부장: 윤신희 ☎ 8073-8365")),
        ),
        "Contents/section1.xml": section(p(t("Ⅱ. 세부 계획")), p(), p(t("끝"))),
    })  # fmt: skip
    assert hwpx_reader.read(data) == [
        Line("□ 대전도시재생지원센터 운영", source_line=1),
        Line("○ 추진 일정\n- 1단계:\t3월", source_line=2),
        TableElement([["구분", "내용", "일정"], ["운영", "상담\n교육", "3월"]], source_line=3),
        Line("연락처 | 부장: 윤신희 ☎ 8073-8365", source_line=4),
        Line("Ⅱ. 세부 계획", source_line=5),
        Line("", source_line=6),
        Line("끝", source_line=7),
    ]


def test_hwpx_without_package_file_sorts_sections_numerically_any_namespace_year() -> None:
    sections = {f"Contents/section{n}.xml": section(p(t(f"절 {n}")), year=2016) for n in (2, 10)}
    elements = read_lines(hwpx_reader.read, hwpx(sections, package=False))
    assert [e.text for e in elements] == ["절 2", "절 10"]


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """250 MB of zeros deflate to about 250 KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/hwp+zip")
        with archive.open("Contents/section0.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(250):
                member.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("read", [hwpx_reader.read, docx_reader.read], ids=["hwpx", "docx"])
def test_zip_bomb_is_refused(zip_bomb: bytes, read: Callable[[bytes], list[Element]]) -> None:
    assert len(zip_bomb) < 5_000_000
    raises_unreadable(read, zip_bomb, "zip bomb")


ONE_SECTION = {"Contents/section0.xml": section(p(t("본문")))}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        pytest.param("한글 문서가 아님".encode(), "not an HWPX", id="not a zip"),
        pytest.param(OLE_HEADER, r"\.hwp", id="ole .hwp"),
        pytest.param(zip_of(ONE_SECTION), "not an HWPX", id="no mimetype"),
        pytest.param(hwpx(ONE_SECTION, mimetype="application/epub+zip"), "not an HWPX", id="epub"),
        pytest.param(hwpx({}), "not an HWPX", id="no sections"),
        pytest.param(hwpx({"Contents/section0.xml": "<hs:sec><hp:p>"}), "corrupt", id="broken xml"),
    ],
)
def test_bad_hwpx_is_refused(data: bytes, match: str) -> None:
    raises_unreadable(hwpx_reader.read, data, match)

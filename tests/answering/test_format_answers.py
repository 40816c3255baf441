"""A question answered from a table in each new format — PDF, HWP, XLSX — with a citation saying where.

Each file is written here in its real format (fpdf2 with a Hangul font, HWP 5.0 from Hancom's
spec, openpyxl), ingested by the real pipeline into a fresh index, and asked through the
assistant. The table's value must be in the answer and the citation must name the page (PDF)
or the sheet and rows (XLSX); HWP stores no pages, so its citation names the section.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from builders import nanum_font
from fpdf import FPDF
from fpdf.fonts import FontFace
from ingest.hwp_builder import hwp_document

from assistant.index import ingest
from assistant.service import Assistant
from assistant.settings import Settings

MANIFEST = """
[[documents]]
file = "drone-plan.pdf"
id = "drone-2025"
title = "2025년 한빛시 드론산업 육성계획"
organization = "한빛시 미래산업과"
year = "2025"

[[documents]]
file = "water-budget.xlsx"
id = "water-2025"
title = "2025년 한빛시 상수도 사업 예산"
organization = "한빛시 상수도사업소"
year = "2025"

[[documents]]
file = "library-plan.hwp"
id = "library-2025"
title = "2025년 한빛시 도서관 운영계획"
organization = "한빛시 도서관과"
year = "2025"
"""


def drone_pdf() -> bytes:
    """Two pages: an overview, then the program table on page 2."""
    pdf = FPDF()
    pdf.add_font("Nanum", fname=nanum_font())
    pdf.add_font("Nanum", style="B", fname=nanum_font())
    pdf.set_font("Nanum", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "Ⅰ. 추진 배경\n\n□ 드론 산업을 지역 성장동력으로 육성하기 위한 5개년 계획이다.\n"
                         "○ 드론 실증도시 지정에 따라 실증 인프라를 확충한다.", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.multi_cell(0, 7, "Ⅱ. 세부 추진사업", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(headings_style=FontFace(emphasis="BOLD")) as table:
        for cells in (["사업명", "예산(백만원)", "담당부서"], ["드론 배송 실증", "1,250", "미래산업과"],
                      ["드론 조종 인력 양성", "340", "일자리정책과"], ["드론 통합관제센터 구축", "2,870", "스마트도시과"]):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    return bytes(pdf.output())


def water_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "개요"
    summary.append(["2025년 상수도 사업은 노후관 교체와 정수장 개량에 집중한다."])
    budget = workbook.create_sheet("사업별 예산")
    for row in (["사업명", "예산(백만원)", "기간"], ["노후 상수관로 교체", "4,820", "2025.3.~2025.11."],
                ["정수장 고도처리 개량", "9,150", "2025.1.~2026.12."], ["스마트 원격검침 보급", "760", "2025.5.~2025.10."]):
        budget.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def library_hwp() -> bytes:
    return hwp_document([
        "Ⅰ. 운영 목표",
        "□ 생활 속 독서문화 확산과 작은도서관 활성화",
        "Ⅱ. 주요 사업",
        [["사업명", "예산(백만원)", "담당부서"], ["작은도서관 순회 사서 운영", "410", "도서관과"],
         ["북스타트 꾸러미 배부", "95", "어린이도서관팀"]],
        "연락처 | 담당자: 한지우 ☎ 031-8075-4412",
    ])


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    corpus = tmp_path_factory.mktemp("formats")
    (corpus / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (corpus / "drone-plan.pdf").write_bytes(drone_pdf())
    (corpus / "water-budget.xlsx").write_bytes(water_xlsx())
    (corpus / "library-plan.hwp").write_bytes(library_hwp())
    index_dir = tmp_path_factory.mktemp("index")
    settings = Settings(corpus_dir=corpus, index_dir=index_dir, cache_dir=Path(__file__).parents[2] / "index" / "cache")
    report = ingest([corpus], settings)
    assert len(report.documents) == 3 and not report.skipped, report.skipped
    return Assistant(settings)


@pytest.mark.parametrize(("question", "value", "doc", "where"), [
    ("드론 통합관제센터 구축 예산은 얼마야?", "2,870", "drone-2025", "p. 2"),
    ("정수장 고도처리 개량 사업 예산 알려줘", "9,150", "water-2025", "시트 '사업별 예산'"),
    ("북스타트 꾸러미 배부 예산은?", "95", "library-2025", ""),
])
def test_a_table_value_is_answered_with_a_citation_that_says_where(assistant, question, value, doc, where):
    response = assistant.ask(question)
    assert not response.abstained, response.answer
    assert value in response.answer, response.answer
    cited = [c for c in response.citations if c.doc == doc and value in c.text]
    assert cited, [(c.doc, c.text) for c in response.citations]
    if where:
        assert cited[0].location.startswith(where), cited[0].location
    else:  # HWP keeps no page numbers: the title and section path say where
        assert cited[0].location == "" and cited[0].page is None and cited[0].section


def test_spreadsheet_citation_names_the_rows(assistant):
    response = assistant.ask("스마트 원격검침 보급 기간은?")
    cited = next(c for c in response.citations if c.doc == "water-2025")
    assert cited.location.startswith("시트 '사업별 예산'") and "행" in cited.location

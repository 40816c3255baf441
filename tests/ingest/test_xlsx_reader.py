"""XLSX reader on workbooks written here with openpyxl (and encrypted with msoffcrypto), no mocks."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import msoffcrypto.format.ooxml
import openpyxl
import pytest
from builders import to_bytes, zip_of
from openpyxl.styles import Font

from assistant.ingest.document import BlockKind, Document
from assistant.ingest.elements import Heading, Line, Place, TableElement, UnreadableDocument
from assistant.ingest.readers import xlsx
from assistant.ingest.structure import parse_structure

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504  # legacy .xls


def save(workbook: openpyxl.Workbook) -> bytes:
    return to_bytes(workbook.save)


def rewrite_part(data: bytes, name: str, old: str, new: str, count: int = 1) -> bytes:
    """The workbook with ``old`` replaced in one part's XML; asserts the text was there ``count`` times."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == name:
                xml = content.decode("utf-8")
                assert xml.count(old) == count, xml
                content = xml.replace(old, new).encode("utf-8")
            archive.writestr(info.filename, content)
    return out.getvalue()


def with_cached_value(data: bytes, sheet_part: str, formula: str, value: str) -> bytes:
    """The value Excel would have cached for a formula when it saved the file.

    openpyxl writes formulas without calculating them (``<f>..</f><v></v>``); Excel
    writes ``<f>..</f><v>result</v>``.  Filling in the ``<v>`` gives exactly what a
    workbook saved by Excel holds.
    """
    return rewrite_part(data, sheet_part, f"<f>{formula}</f><v></v>", f"<f>{formula}</f><v>{value}</v>")


_INLINE_STRING = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is>(<t[^>]*>.*?</t>)</is></c>', re.DOTALL)
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def with_shared_strings(data: bytes) -> bytes:
    """The workbook with its texts in a shared-string table, as Excel stores them.

    openpyxl writes every text inline in its cell (``t="inlineStr"``); Excel writes an
    index into ``xl/sharedStrings.xml`` (``t="s"``), which openpyxl reads with another
    parser.  Both layouts must read the same.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    strings: list[str] = []

    def shared(match: re.Match[str]) -> str:
        strings.append(match.group(3))
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{len(strings) - 1}</v></c>'

    parts = {info.filename: source.read(info) for info in source.infolist()}
    for name in [n for n in parts if n.startswith("xl/worksheets/")]:
        parts[name] = _INLINE_STRING.sub(shared, parts[name].decode()).encode()
    assert strings and not any(b"inlineStr" in content for content in parts.values())
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si>{t}</si>" for t in strings) + "</sst>"
    ).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/></Types>'.encode()
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdSST" Type="{SHARED_STRINGS_REL}" Target="sharedStrings.xml"/></Relationships>'.encode(),
    )
    return zip_of(parts)


# --- a budget workbook as Korean offices lay them out ---------------------------------------------


def budget_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "예산"
    sheet["A1"] = "2024년 사업별 예산 현황"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells("A1:F1")
    sheet["F2"] = "(단위: 백만원)"
    # a two-row header: 예산 over 국비 | 도비, the other labels merged down over both rows
    for cell, text in {"A3": "구분", "B3": "사업명", "C3": "예산", "C4": "국비", "D4": "도비", "E3": "비고",
                       "F3": "집행률"}.items():
        sheet[cell] = text
    for merged in ("A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4"):
        sheet.merge_cells(merged)
    rows = [
        ("도시재생", "도시재생지원센터 운영", 1200, 300.0, "계속", 0.125),
        (None, "빈집 정비", 1500.5, 0.1 + 0.2, None, 1),
        ("주거복지", "주거급여 지원", 800, 200, "신규", 0.30000000000000004),
    ]
    for row_number, values in enumerate(rows, start=5):
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row_number, column, value)
        sheet.cell(row_number, 3).number_format = "#,##0"
        sheet.cell(row_number, 6).number_format = "0.0%"
    sheet["B6"].number_format = "General"
    sheet["C6"].number_format = "#,##0.0"
    sheet.merge_cells("A5:A6")  # 구분 merged down over the rows it groups
    sheet["A8"] = "합계"
    sheet["C8"] = "=SUM(C5:C7)"
    sheet["C8"].number_format = "#,##0"
    sheet["D8"] = "=SUM(D5:D7)"  # no cached value: never opened in Excel
    sheet["E8"] = -250
    sheet["E8"].number_format = "#,##0;△#,##0"
    sheet["A10"] = "※ 자료: 기획예산과"
    # a second table on the same sheet, below an empty row
    sheet["A12"], sheet["B12"], sheet["C12"] = "단계", "착수일", "완료"
    sheet["A13"], sheet["B13"], sheet["C13"] = "1단계", dt.date(2024, 3, 1), True
    sheet["A14"], sheet["B14"], sheet["C14"] = "2단계", dt.datetime(2024, 9, 30, 14, 30), False

    hidden = workbook.create_sheet("계산")
    hidden["A1"], hidden["B1"] = "내부 계산", "비공개 메모"
    hidden.sheet_state = "hidden"

    second = workbook.create_sheet("사업 목록")
    second.append(["번호", "사업명", "담당 부서"])
    second.append([1, "청년 창업 지원", "일자리정책과"])
    second.append([2, "노인 돌봄 확대", "복지정책과"])

    data = save(workbook)
    return with_cached_value(data, "xl/worksheets/sheet1.xml", "SUM(C5:C7)", "3500.5")


@pytest.fixture(scope="module", params=["inline strings", "shared strings"])
def budget(request: pytest.FixtureRequest) -> bytes:
    data = budget_workbook()
    return with_shared_strings(data) if request.param == "shared strings" else data


def test_budget_workbook_elements(budget: bytes) -> None:
    assert xlsx.read(budget) == [
        Place(sheet="예산"),
        Heading("예산", 1),  # two visible sheets: each is a section under its name
        Heading("2024년 사업별 예산 현황", 2, source_line=1),
        Line("(단위: 백만원)", source_line=2),
        TableElement(
            [
                ["구분", "사업명", "예산 > 국비", "예산 > 도비", "비고", "집행률"],
                ["도시재생", "도시재생지원센터 운영", "1,200", "300", "계속", "12.5%"],
                ["도시재생", "빈집 정비", "1,500.5", "0.3", "", "100.0%"],
                ["주거복지", "주거급여 지원", "800", "200", "신규", "30.0%"],
                ["합계", "", "3,501", "", "△250", ""],
            ],
            source_line=3,
            row_numbers=[3, 5, 6, 7, 8],
        ),
        Line(""),
        Line("※ 자료: 기획예산과", source_line=10),
        Line(""),
        TableElement(
            [["단계", "착수일", "완료"], ["1단계", "2024-03-01", "TRUE"], ["2단계", "2024-09-30 14:30", "FALSE"]],
            source_line=12,
            row_numbers=[12, 13, 14],
        ),
        Place(sheet="사업 목록"),
        Heading("사업 목록", 1),
        TableElement(
            [["번호", "사업명", "담당 부서"], ["1", "청년 창업 지원", "일자리정책과"], ["2", "노인 돌봄 확대", "복지정책과"]],
            source_line=1,
            row_numbers=[1, 2, 3],
        ),
    ]


def test_formula_reads_the_value_excel_cached_and_a_formula_without_one_is_empty(budget: bytes) -> None:
    total = next(e for e in xlsx.read(budget) if isinstance(e, TableElement)).rows[-1]
    assert total[2] == "3,501"  # 3500.5 under #,##0, rounded half up as Excel shows it
    assert total[3] == ""  # =SUM(D5:D7) was never calculated
    assert "SUM" not in str(xlsx.read(budget))


def test_hidden_sheet_is_skipped(budget: bytes) -> None:
    texts = str(xlsx.read(budget))
    assert "내부 계산" not in texts and "계산" not in [e.sheet for e in xlsx.read(budget) if isinstance(e, Place)]


def test_structure_gives_table_blocks_with_header_and_sheet_rows_for_citations(budget: bytes) -> None:
    text, blocks, places = parse_structure(xlsx.read(budget))
    document = Document("budget", "예산", text, blocks, places=places)
    headings = [b for b in blocks if b.kind is BlockKind.HEADING]
    assert [h.title for h in headings] == ["예산", "2024년 사업별 예산 현황", "사업 목록"]
    heading = headings[1]
    assert heading.path == ("예산", "2024년 사업별 예산 현황")
    tables = [b for b in blocks if b.kind is BlockKind.TABLE]
    assert [t.header for t in tables] == [
        ["구분", "사업명", "예산 > 국비", "예산 > 도비", "비고", "집행률"],
        ["단계", "착수일", "완료"],
        ["번호", "사업명", "담당 부서"],
    ]
    budget_rows = tables[0].rows
    assert [r.source_row for r in budget_rows] == [3, 5, 6, 7, 8]
    assert budget_rows[2].cells[:3] == ["도시재생", "빈집 정비", "1,500.5"]
    assert text[budget_rows[2].start:budget_rows[2].end] == "도시재생\t빈집 정비\t1,500.5\t0.3\t\t100.0%"

    location = document.location(budget_rows[1].start, budget_rows[3].end)
    assert (location.sheet, location.rows, location.label) == ("예산", (5, 7), "시트 '예산' 5–7행")
    one_row = tables[2].rows[2]
    assert document.location(one_row.start, one_row.end).label == "시트 '사업 목록' 3행"
    title = document.location(heading.start, heading.end)
    assert (title.sheet, title.rows) == ("예산", ())


def test_same_header_on_two_sheets_stays_two_tables_each_citing_its_sheet() -> None:
    workbook = openpyxl.Workbook()
    for title, rows in (("2023", [["구분", "예산"], ["가", "100"], ["나", "200"]]),
                        ("2024", [["구분", "예산"], ["다", "300"], ["라", "400"]])):
        sheet = workbook.active if title == "2023" else workbook.create_sheet(title)
        sheet.title = title
        for row in rows:
            sheet.append(row)
    text, blocks, places = parse_structure(xlsx.read(save(workbook)))
    document = Document("d", "t", text, blocks, places=places)
    tables = [b for b in blocks if b.kind is BlockKind.TABLE]
    assert [document.location(t.start, t.end).label for t in tables] == ["시트 '2023' 1–3행", "시트 '2024' 1–3행"]


def test_single_row_header_merged_across_columns_names_each_column() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "실적"
    sheet["A1"], sheet["B1"], sheet["D1"] = "사업", "분기 실적", "목표"
    sheet.merge_cells("B1:C1")
    sheet.append(["교육", 10, 12, 40])
    sheet.append(["상담", 5, 7, 20])
    table = xlsx.read(save(workbook))[1]
    assert table == TableElement(
        [["사업", "분기 실적", "분기 실적", "목표"], ["교육", "10", "12", "40"], ["상담", "5", "7", "20"]],
        source_line=1,
        row_numbers=[1, 2, 3],
    )


def test_empty_rows_and_columns_are_skipped_and_sheet_row_numbers_kept() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B4"], sheet["D4"] = "항목", "금액"  # columns A, C and rows 1-3 are empty
    sheet["B5"], sheet["D5"] = "인건비", 52_000_000
    sheet["D5"].number_format = "#,##0"
    sheet["B6"], sheet["D6"] = "운영비", 0.1 + 0.7
    sheet["B7"] = "   "  # only spaces: an empty cell to a reader
    sheet["B9"], sheet["D9"] = "기타", "미정"
    assert xlsx.read(save(workbook))[1:] == [
        TableElement([["항목", "금액"], ["인건비", "52,000,000"], ["운영비", "0.8"]], source_line=4,
                     row_numbers=[4, 5, 6]),
        Line(""),
        TableElement([["기타", "미정"]], source_line=9, row_numbers=[9]),
    ]


def test_text_typed_down_one_column_is_lines_for_the_structure_parser() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "개요"
    for row, text in enumerate(["Ⅰ. 추진 배경", "□ 원도심 쇠퇴 대응", "○ 빈집 증가", "", "Ⅱ. 추진 계획",
                                "□ 거점 조성"], start=1):
        sheet.cell(row, 1, text or None)
    elements = xlsx.read(save(workbook))
    assert elements == [
        Place(sheet="개요"),
        Line("Ⅰ. 추진 배경", source_line=1),
        Line("□ 원도심 쇠퇴 대응", source_line=2),
        Line("○ 빈집 증가", source_line=3),
        Line(""),
        Line("Ⅱ. 추진 계획", source_line=5),
        Line("□ 거점 조성", source_line=6),
    ]
    blocks = parse_structure(elements).blocks
    assert [(b.kind, b.title) for b in blocks if b.kind is BlockKind.HEADING][:2] == [
        (BlockKind.HEADING, "추진 배경"), (BlockKind.HEADING, "원도심 쇠퇴 대응")]
    assert blocks[-1].path[0] == "추진 계획"


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (1234567, "#,##0", "1,234,567"),
        (1234567.0, "General", "1234567"),
        (0.1 + 0.2, "General", "0.3"),
        (2.675, "0.00", "2.68"),
        (0.125, "0.0%", "12.5%"),
        (-1234, "#,##0;△#,##0", "△1,234"),
        (-1234.5, "#,##0.00_);[Red]\\(#,##0.00\\)", "(1,234.50)"),
        (0, '#,##0;-#,##0;"-"', "-"),
        (1234567, "#,##0,", "1,235"),
        (15000, '#,##0"원"', "15,000원"),
        (15000, "[$₩-412]#,##0", "₩15,000"),
        (-5, "#,##0", "-5"),
        (0.00001, "General", "0.00001"),
        (1.5e-11, "General", "1.5E-11"),
        (12, "0.00E+00", "12"),  # scientific: shown as General
    ],
)
def test_numbers_are_written_as_excel_shows_them(value: float, number_format: str, shown: str) -> None:
    assert xlsx.number_text(value, number_format) == shown


def test_number_formats_survive_the_file() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["금액", "비율", "일자", "시각"])
    sheet.append([1234567.0, 0.075, dt.datetime(2024, 1, 15), dt.time(9, 30)])
    sheet["A2"].number_format = "#,##0"
    sheet["B2"].number_format = "0.0%"
    assert xlsx.read(save(workbook))[1].rows[1] == ["1,234,567", "7.5%", "2024-01-15", "09:30"]


def test_cell_far_away_does_not_make_the_reader_walk_the_bounding_box() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"] = "구분", "내용"
    sheet["XFD1048576"] = "끝"
    started = time.perf_counter()
    elements = xlsx.read(save(workbook))
    assert time.perf_counter() - started < 5
    assert elements == [
        Place(sheet="Sheet"),
        TableElement([["구분", "내용"]], source_line=1, row_numbers=[1]),
        Line(""),
        Line("끝", source_line=1048576),
    ]


# --- files that must be refused with a reason -----------------------------------------------------


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """250 MB of zeros deflate to about 250 KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(250):
                member.write(chunk)
    return out.getvalue()


def test_zip_bomb_is_refused(zip_bomb: bytes) -> None:
    assert len(zip_bomb) < 5_000_000
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        xlsx.read(zip_bomb)


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def entity_bomb(part: str) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "폭탄"
    data = save(workbook)
    xml = zipfile.ZipFile(io.BytesIO(data)).read(part).decode()
    bombed = BILLION_LAUGHS + re.sub(r"<t>[^<]*</t>", "<t>&lol9;</t>", xml)  # 10^9 "lol"s in cell A1
    assert "<t>&lol9;</t>" in bombed
    return rewrite_part(data, part, xml, bombed)


def shared_strings_bomb() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "폭탄"
    data = with_shared_strings(save(workbook))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml").decode()
    return rewrite_part(data, "xl/sharedStrings.xml", xml, BILLION_LAUGHS + re.sub(r"<t>[^<]*</t>", "<t>&lol9;</t>", xml))


@pytest.mark.parametrize("make", [lambda: entity_bomb("xl/worksheets/sheet1.xml"), shared_strings_bomb],
                         ids=["in a sheet", "in the shared strings"])
def test_xml_entity_bomb_is_refused(make) -> None:
    data = make()
    started = time.perf_counter()
    with pytest.raises(UnreadableDocument, match="DTD"):
        xlsx.read(data)
    assert time.perf_counter() - started < 5


def test_openpyxl_itself_parses_sheets_with_defusedxml() -> None:
    """The second line of defence: openpyxl picks defusedxml up when it is installed, and refuses entities."""
    from defusedxml import EntitiesForbidden

    assert openpyxl.DEFUSEDXML
    for bomb in (entity_bomb("xl/worksheets/sheet1.xml"), shared_strings_bomb()):
        with pytest.raises(ValueError) as raised:  # openpyxl's "Unable to read workbook", caused by defusedxml
            openpyxl.load_workbook(io.BytesIO(bomb), data_only=True)
        assert isinstance(raised.value.__cause__, EntitiesForbidden)


def test_encrypted_workbook_is_refused(budget: bytes) -> None:
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(budget)).encrypt("비밀번호", encrypted)
    with pytest.raises(UnreadableDocument, match="encrypted XLSX file .password-protected"):
        xlsx.read(encrypted.getvalue())


def test_too_many_cells_is_refused() -> None:
    workbook = openpyxl.Workbook(write_only=True)  # streams rows: 200,100 cells write in a second or two
    sheet = workbook.create_sheet("대용량")
    for number in range(2001):
        sheet.append(range(number, number + 100))
    with pytest.raises(UnreadableDocument, match="over 200,000 cells"):
        xlsx.read(save(workbook))


def test_huge_merged_range_is_refused_before_openpyxl_fills_it() -> None:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "제목"
    workbook.active.merge_cells("A1:B1")
    # written into the XML, because openpyxl itself would create the 260,000 placeholders while writing
    data = rewrite_part(save(workbook), "xl/worksheets/sheet1.xml", '<mergeCell ref="A1:B1"/>',
                        '<mergeCell ref="A1:Z10000"/>')
    started = time.perf_counter()
    with pytest.raises(UnreadableDocument, match="counting merged ranges"):
        xlsx.read(data)
    assert time.perf_counter() - started < 5


def stored_zip_with_bad_crc(data: bytes) -> bytes:
    """The workbook re-zipped without compression, with one byte of the sheet flipped: a CRC error."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
    damaged = bytearray(out.getvalue())
    at = damaged.index(b"<sheetData>") + 3
    damaged[at] ^= 0x20
    return bytes(damaged)


def empty_workbook() -> bytes:
    return save(openpyxl.Workbook())


def only_hidden_text() -> bytes:
    workbook = openpyxl.Workbook()
    hidden = workbook.create_sheet("숨김")
    hidden["A1"] = "비공개"
    hidden.sheet_state = "veryHidden"
    return save(workbook)


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("워드 문서")
    return to_bytes(document.save)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(lambda: bytes(range(256)) * 8, "not an XLSX file", id="renamed binary"),
        pytest.param(lambda: "엑셀 파일이 아님".encode(), "not an XLSX file", id="renamed text"),
        pytest.param(lambda: b"", "empty file", id="empty file"),
        pytest.param(lambda: OLE_HEADER, r"binary \.xls/OLE file; save it as \.xlsx", id="ole .xls"),
        pytest.param(lambda: budget_workbook()[:3000], "not an XLSX file", id="truncated zip"),
        pytest.param(lambda: stored_zip_with_bad_crc(budget_workbook()), "corrupt XLSX", id="bad crc"),
        pytest.param(lambda: zip_of({"hello.txt": "안녕하세요"}), "not a readable XLSX", id="zip without workbook"),
        pytest.param(docx_bytes, "not a readable XLSX", id="docx"),
        pytest.param(
            lambda: rewrite_part(empty_workbook(), "xl/workbook.xml", "</sheets>", "<sheets>", count=1),
            "not a readable XLSX", id="broken workbook xml",
        ),
        pytest.param(empty_workbook, r"no text in its 1 visible sheet", id="empty workbook"),
        pytest.param(only_hidden_text, r"no text", id="text only in a hidden sheet"),
    ],
)
def test_bad_xlsx_is_refused(make, match: str) -> None:
    with pytest.raises(UnreadableDocument, match=match):
        xlsx.read(make())


def test_reasons_are_one_clear_sentence_not_a_traceback() -> None:
    with pytest.raises(UnreadableDocument) as raised:
        xlsx.read(stored_zip_with_bad_crc(budget_workbook()))
    assert re.fullmatch(r"corrupt XLSX file \(\w+: .+\)", str(raised.value))

"""HWP 5.0 reader on real .hwp files written here from Hancom's format specification.

Every built file is first read by a second, independent reader (pyhwp) and must hold
exactly what was written; only then does the project's reader see it.
"""

from __future__ import annotations

import random
import struct
import time
import zlib
from pathlib import Path

import pytest
from hwp_builder import (
    COMPRESSED,
    CTRL_HEADER,
    PARA_TEXT,
    TABLE,
    compound_file,
    deflate,
    doc_info_stream,
    file_header,
    hwp_document,
    read_with_pyhwp,
    record,
    section_stream,
    summary_information,
)

from assistant.ingest.document import BlockKind
from assistant.ingest.elements import Line, TableElement, UnreadableDocument
from assistant.ingest.readers import hwp
from assistant.ingest.structure import parse_structure

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-plan.hwp"

BUDGET_TABLE = [
    ["구분", "사업명", "예산(백만원)", "담당부서"],
    ["신규", "마을관리협동조합 육성", "350", "도시재생과"],
    ["계속", "골목길 환경 개선\n(3개 구역)", "1,200", "주택정책과"],
]
CONTACT = "연락처 | 담당자: 김민수 ☎ 031-8075-1234"
PLAN = [
    "2024년 고양시 도시재생 추진계획",
    "",
    "□ 추진 배경",
    " ○ 원도심 쇠퇴에 대응하여 주민 주도의 도시재생 사업을 추진",
    "  - 노후 주거지 정비와 공동체 활성화를 함께 추진",
    "□ 사업 현황",
    BUDGET_TABLE,
    "※ 세부 일정은 변동 가능",
    CONTACT,
]
SCHEDULE = ["Ⅱ. 세부 추진계획", "일정\t2024. 3. ~ 12.", "1단계: 주민 공모\n2단계: 사업 선정"]


def pyhwp_checked(data: bytes, *sections: list) -> bytes:
    """The file, after pyhwp has found in it exactly the blocks that were written."""
    assert read_with_pyhwp(data) == [block for blocks in sections for block in blocks]
    return data


def pyhwp_file_header(data: bytes):
    """The FileHeader as pyhwp decodes it, to check that the builder set the bit it meant to."""
    import tempfile

    from hwp5.filestructure import Hwp5File

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.hwp"
        path.write_bytes(data)
        document = Hwp5File(str(path))
        try:
            return document.header
        finally:
            document.close()


def pyhwp_header_flags(data: bytes) -> dict[str, int]:
    flags = pyhwp_file_header(data).flags
    return {name: getattr(flags, name) for name in ("compressed", "password", "distributable", "drm")}


def plan_elements() -> list:
    return [
        Line("2024년 고양시 도시재생 추진계획", source_line=1),
        Line("", source_line=2),
        Line("□ 추진 배경", source_line=3),
        Line(" ○ 원도심 쇠퇴에 대응하여 주민 주도의 도시재생 사업을 추진", source_line=4),
        Line("  - 노후 주거지 정비와 공동체 활성화를 함께 추진", source_line=5),
        Line("□ 사업 현황", source_line=6),
        TableElement(BUDGET_TABLE, source_line=7),
        Line("※ 세부 일정은 변동 가능", source_line=8),
        Line(CONTACT, source_line=9),
    ]


@pytest.fixture(scope="module")
def plan_hwp() -> bytes:
    return pyhwp_checked(hwp_document(PLAN), PLAN)


def test_paragraphs_lines_and_the_table_as_rows(plan_hwp: bytes) -> None:
    assert hwp.read(plan_hwp) == plan_elements()


def test_streams_stored_without_compression() -> None:
    data = pyhwp_checked(hwp_document(PLAN, compressed=False), PLAN)
    assert hwp.read(data) == plan_elements()


def test_sections_in_order_with_tabs_and_line_breaks() -> None:
    """Eleven sections: BodyText/Section10 comes after Section9, not after Section1."""
    sections = [PLAN, SCHEDULE, *[[f"{n}. 과제 {n}"] for n in range(3, 12)]]
    data = pyhwp_checked(hwp_document(*sections), *sections)
    texts = [e.text if isinstance(e, Line) else e.rows for e in hwp.read(data)]
    assert texts[len(PLAN) : len(PLAN) + 3] == SCHEDULE
    assert texts[-9:] == [f"{n}. 과제 {n}" for n in range(3, 12)]


def test_text_before_and_after_a_table_in_one_paragraph() -> None:
    """Hangul anchors a table in a paragraph that can hold text too: the text stays around the table."""
    rows = [["연도", "금액"], ["2024", "1,550"]]
    data = hwp_document([("<표 1> 예산 현황", rows, "(단위: 백만원)"), "다음 문단"])
    assert read_with_pyhwp(data) == ["<표 1> 예산 현황", rows, "(단위: 백만원)", "다음 문단"]
    assert hwp.read(data) == [
        Line("<표 1> 예산 현황", source_line=1),
        TableElement(rows, source_line=1),
        Line("(단위: 백만원)", source_line=1),
        Line("다음 문단", source_line=2),
    ]


def test_table_becomes_a_table_block_with_its_header_and_rows(plan_hwp: bytes) -> None:
    text, blocks, places = parse_structure(hwp.read(plan_hwp))
    table = next(b for b in blocks if b.kind is BlockKind.TABLE)
    assert table.header == ["구분", "사업명", "예산(백만원)", "담당부서"]
    assert [row.cells for row in table.rows if row.cells != table.header] == BUDGET_TABLE[1:]
    assert "골목길 환경 개선\n(3개 구역)" in table.text
    contact = next(b for b in blocks if b.kind is BlockKind.CONTACT)
    assert "031-8075-1234" in contact.text
    headings = [b.title for b in blocks if b.kind is BlockKind.HEADING]
    assert headings[:2] == ["추진 배경", "원도심 쇠퇴에 대응하여 주민 주도의 도시재생 사업을 추진"]
    assert places == []  # HWP is a flowing format: no pages in the file


def test_the_fixture_still_reads() -> None:
    """tests/fixtures/sample-plan.hwp is this module's plan and schedule, for anyone to open in Hangul."""
    data = FIXTURE.read_bytes()
    assert read_with_pyhwp(data) == [*PLAN, *SCHEDULE]
    elements = hwp.read(data)
    assert elements[: len(PLAN)] == plan_elements()
    assert [e.text for e in elements[len(PLAN) :]] == SCHEDULE


# --- refused -------------------------------------------------------------------------------------


def refused(data: bytes, match: str) -> None:
    started = time.monotonic()
    with pytest.raises(UnreadableDocument, match=match):
        hwp.read(data)
    assert time.monotonic() - started < 20


def test_encrypted_file_is_refused() -> None:
    data = hwp_document(PLAN, encrypted=True)
    assert pyhwp_header_flags(data) == {"compressed": 1, "password": 1, "distributable": 0, "drm": 0}
    refused(data, "encrypted HWP file \\(password-protected\\)")


def test_distribution_document_is_refused_not_read_as_its_placeholder() -> None:
    data = hwp_document(PLAN, distributable=True)
    assert pyhwp_header_flags(data) == {"compressed": 1, "password": 0, "distributable": 1, "drm": 0}
    assert "배포용 문서" in read_with_pyhwp(data)[0]  # what a reader that ignores the flag returns
    refused(data, "distribution-protected HWP document \\(배포용 문서\\)")


@pytest.mark.parametrize(
    ("bit", "flag", "reason"),
    [(1 << 4, "drm", "DRM-protected HWP file"), (1 << 8, "cert_encrypted", "encrypted HWP file \\(public-key")],
    ids=["drm", "certificate"],
)
def test_other_protected_files_are_refused(bit: int, flag: str, reason: str) -> None:
    data = streams(section_stream(PLAN), header=file_header(COMPRESSED | bit))
    assert getattr(pyhwp_file_header(data).flags, flag) == 1
    refused(data, reason)


def test_document_without_text_is_refused() -> None:
    data = pyhwp_checked(hwp_document(["", "   "]), ["", "   "])
    refused(data, "^HWP document has no text$")


def streams(section: bytes, *, header: bytes | None = None, deflated: bytes | None = None) -> bytes:
    """A compound file with the given (uncompressed) section records, or an already deflated stream."""
    return compound_file(
        {
            "\x05HwpSummaryInformation": summary_information("x"),
            "FileHeader": header or file_header(COMPRESSED),
            "DocInfo": deflate(doc_info_stream()),
            "BodyText": {"Section0": deflated if deflated is not None else deflate(section)},
        }
    )


def test_refusals_say_why(plan_hwp: bytes) -> None:
    first = section_stream(["첫 문단"])
    refused(b"", "empty file")
    refused(b"hello, this is text", "not an HWP file \\(no OLE compound-file signature\\)")
    refused(b"PK\x03\x04" + bytes(60), "zip archive; an HWPX file should be named .hwpx")
    refused(b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + bytes(100), "HWP 3.x file")
    refused(plan_hwp[: len(plan_hwp) // 2], "corrupt HWP file \\(compound file")
    refused(plan_hwp[:512] + bytes(range(256)) * 8, "corrupt HWP file")
    refused(compound_file({"WordDocument": b"\xec\xa5" + bytes(600)}), "no FileHeader stream")
    refused(streams(first, header=b"Not a Hangul file".ljust(256, b"\0")), "no HWP signature")
    refused(streams(first, header=file_header(COMPRESSED, version=(4, 0, 0, 0))), "unsupported HWP version 4.0.0.0")
    refused(streams(first, deflated=b"\x8f\xff this is not deflate data" * 20), "corrupt HWP file")


def test_hostile_records_are_refused() -> None:
    first = section_stream(["첫 문단"])
    # a record header claiming 4 GiB of payload
    refused(streams(first + struct.pack("<II", PARA_TEXT | 1 << 10 | 0xFFF << 20, 0xFFFFFFF0) + b"abc"), "corrupt")
    # a table claiming 65535 x 65535 cells
    table = struct.pack("<IHHH4H", 6, 65535, 65535, 0, 0, 0, 0, 0) + bytes(2 * 65535) + struct.pack("<HH", 2, 0)
    refused(streams(first + record(CTRL_HEADER, 1, b" lbt" + bytes(40)) + record(TABLE, 2, table)), "corrupt")


def test_decompression_bomb_is_refused() -> None:
    """600 MiB of zeros in a 3 MB stream: refused once the converter has inflated its 500 MB limit."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    bomb = b"".join(compressor.compress(bytes(2**20)) for _ in range(600)) + compressor.flush()
    refused(streams(b"", deflated=bomb), "corrupt HWP file .*decompress")


def test_damaged_records_never_crash_the_reader() -> None:
    """Seeded damage to the plan's records: each file is read or refused with a reason, nothing else."""
    rng = random.Random(20240102)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(60):
        records = bytearray(section_stream(PLAN))
        for _ in range(rng.randint(1, 6)):
            records[rng.randrange(len(records))] = rng.randrange(256)
        if rng.random() < 0.3:
            del records[rng.randrange(len(records)) :]
        try:
            elements = hwp.read(streams(bytes(records)))
        except UnreadableDocument as exc:
            assert str(exc)
            outcomes["refused"] += 1
        else:
            assert all(isinstance(e, Line | TableElement) for e in elements)
            outcomes["read"] += 1
    assert outcomes["read"] and outcomes["refused"]  # the damage both spared and broke files

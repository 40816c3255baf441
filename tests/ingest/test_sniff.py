"""The type of an upload by its bytes, on real files written here with the real libraries; names are not believed."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from builders import hwpx, make_pdf, p, section, t, zip_of
from cfbwrite import Entry, write_ole
from PIL import Image

from assistant.ingest.elements import UnreadableDocument
from assistant.ingest.load import SUPPORTED_SUFFIXES
from assistant.ingest.sniff import DOCX, HTML, HWP, HWPX, PDF, TEXT, XLSX, UnknownFileType, safe_stem, sniff


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (MS-CFB) holding these streams, as cfbwrite writes it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.bin"
        write_ole(path, [Entry(name, False, len(data), lambda d=data: d) for name, data in streams.items()])
        return path.read_bytes()


def hwp_file_header() -> bytes:
    # HWP 5.0 FileHeader: the signature in 32 bytes, version, properties, reserved up to 256 bytes
    return b"HWP Document File".ljust(32, b"\0") + (0x05000300).to_bytes(4, "little") + bytes(220)


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("사업 개요")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["사업명", "예산"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 255)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("make, expected", [
    (lambda: make_pdf([["2024년 사업계획", "담당 홍길동"]]), PDF),
    (docx_bytes, DOCX),
    (xlsx_bytes, XLSX),
    (lambda: hwpx({"Contents/section0.xml": section(p(t("사업 개요")))}), HWPX),
    (lambda: compound_file({"FileHeader": hwp_file_header(), "DocInfo": b"\0" * 64}), HWP),
    (lambda: "<!DOCTYPE html><html><body><h1>계획</h1></body></html>".encode(), HTML),
    (lambda: "\ufeff  <!-- 변환본 -->\n<html lang='ko'><p>계획</p></html>".encode(), HTML),
    (lambda: "# 2024년 계획\n\n- 담당: 홍길동\n".encode(), TEXT),
    (lambda: "구분\t담당\n사업\t홍길동\n".encode("cp949"), TEXT),  # older Korean text files
    (lambda: "<table><tr><td>표</td></tr></table> 로 시작하는 텍스트".encode(), TEXT),  # no HTML document
], ids=["pdf", "docx", "xlsx", "hwpx", "hwp", "html", "html-after-comment", "markdown", "cp949-text", "text-with-tags"])
def test_each_format_is_known_by_its_bytes(make, expected):
    assert sniff(make()) == expected


@pytest.mark.parametrize("make, reason", [
    (png_bytes, "binary"),
    (lambda: b"\x7fELF\x02\x01\x01" + bytes(200), "binary"),
    (lambda: compound_file({"WordDocument": bytes(600)}), ".doc"),
    (lambda: compound_file({"Workbook": bytes(600)}), ".xls"),
    (lambda: compound_file({"Something": bytes(600)}), "not a Hangul"),
    (lambda: compound_file({"FileHeader": b"Not Hangul at all".ljust(256, b"\0")}), "not a Hangul"),
    (lambda: zip_of({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}), "zip archive"),
    (lambda: zip_of({"notes.txt": "hello"}), "zip archive"),
    (lambda: b"", "empty"),
    (lambda: b" \n\t ", "empty"),
], ids=["png", "elf", "doc", "xls", "other-ole", "ole-with-wrong-header", "odt", "plain-zip", "empty", "blank"])
def test_anything_else_is_an_unknown_type(make, reason):
    with pytest.raises(UnknownFileType, match=reason):
        sniff(make())


def test_a_damaged_archive_or_compound_file_is_unreadable_not_unknown():
    package = hwpx({"Contents/section0.xml": section(p(t("사업 개요")))})
    with pytest.raises(UnreadableDocument, match="zip"):
        sniff(package[: len(package) // 2])  # the central directory is gone
    ole = compound_file({"FileHeader": hwp_file_header()})
    with pytest.raises(UnreadableDocument, match="OLE"):
        sniff(ole[:700])  # the header promises sectors that are not there


def test_a_zip_bomb_is_refused_before_anything_is_inflated():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/hwp+zip")
        with archive.open("Contents/section0.xml", "w", force_zip64=True) as member:
            for _ in range(210):
                member.write(bytes(2**20))
    assert len(out.getvalue()) < 2**20
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        sniff(out.getvalue())


def test_the_stored_suffix_agrees_with_the_content():
    supported = frozenset({".pdf", ".docx", ".hwpx", ".txt", ".md", ".markdown", ".html", ".htm"})
    assert PDF.suffix_for("보고서.PDF", supported) == ".pdf"
    assert DOCX.suffix_for("보고서.pdf", supported) == ".docx"  # a DOCX named .pdf is stored as .docx
    assert TEXT.suffix_for("notes.md", supported) == ".md"  # any of the kind's own suffixes is kept
    assert TEXT.suffix_for("notes.exe", supported) == ".txt"
    assert HTML.suffix_for("page.htm", supported) == ".htm"
    assert HTML.suffix_for("page", supported) == ".html"
    with pytest.raises(UnknownFileType, match="no reader"):
        HWP.suffix_for("문서.hwp", supported)
    assert HWP.suffix_for("문서.hwp", supported | {".hwp"}) == ".hwp"


def test_the_suffixes_offered_are_the_readers_ones():
    # what load.py reads is what an upload may be: every kind the sniffer names that has a reader maps to a suffix
    # load.py knows
    for kind in (PDF, DOCX, HWPX, HTML, TEXT, HWP, XLSX):
        if set(kind.suffixes) & SUPPORTED_SUFFIXES:
            assert kind.suffix_for("x", SUPPORTED_SUFFIXES) in SUPPORTED_SUFFIXES


@pytest.mark.parametrize("name, stem", [
    ("../../etc/passwd", "passwd"),
    ("/abs/path/계획.pdf", "계획"),
    ("C:\\Users\\담당자\\보고서 (최종).docx", "보고서_최종"),
    (".bashrc", "bashrc"),
    ("...", "document"),
    ("", "document"),
    ("a\x00b\x1b[31m.txt", "ab_31m"),
    ("\u202etxt.exe", "txt"),  # a right-to-left override is dropped with the other format characters
    ("2024년 사업계획.hwpx", "2024년_사업계획"),
    ("report.tar.gz", "report.tar"),
])
def test_safe_stem_keeps_only_a_plain_name(name, stem):
    assert safe_stem(name) == stem


def test_safe_stem_is_short_enough_for_any_file_system():
    stem = safe_stem("가" * 300 + ".pdf")
    assert len(stem) == 60 and len(stem.encode()) <= 200


def test_html_detection_takes_linear_time_on_hostile_comments():
    import time

    started = time.perf_counter()
    for data in ("<!---->" * 290 + "x", "<!--" * 500, "<?xml " * 400, " " * 5000 + "<html>"):
        assert sniff(data.encode()) == TEXT
    assert time.perf_counter() - started < 1  # a lazy comment pattern took 0.6 s at 22 comments, and ~16x more per 4

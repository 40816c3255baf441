"""Real files in real formats, written with the real libraries, for the tests."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from fpdf import FPDF


def to_bytes(save: Callable[[io.BytesIO], object]) -> bytes:
    """Bytes written by ``PdfWriter.write`` or ``Document.save``."""
    out = io.BytesIO()
    save(out)
    return out.getvalue()


def nanum_font() -> str:
    """The Korean TTF fpdf2 embeds; a missing font is a setup error, never a reason to skip."""
    default = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
    if default.is_file():
        return str(default)
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "NanumGothic"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if "nanum" in found.lower() and Path(found).is_file():  # fc-match falls back to any font
        return found
    pytest.fail("Korean font NanumGothic not found: install it with `apt-get install -y fonts-nanum`")


def make_pdf(pages: list[list[str]]) -> bytes:
    pdf = FPDF()
    pdf.add_font("Nanum", fname=nanum_font())
    pdf.set_font("Nanum", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def zip_of(members: Mapping[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


NS = 'xmlns:hs="http://www.hancom.co.kr/hwpml/{y}/section" xmlns:hp="http://www.hancom.co.kr/hwpml/{y}/paragraph"'
CONTAINER = (
    '<ocf:container xmlns:ocf="urn:oasis:names:tc:opendocument:xmlns:container"><ocf:rootfiles>'
    '<ocf:rootfile full-path="Contents/content.hpf" media-type="application/hwpml-package+xml"/>'
    '<ocf:rootfile full-path="Preview/PrvText.txt" media-type="text/plain"/></ocf:rootfiles></ocf:container>'
)


def t(text: str) -> str:
    return f'<hp:run charPrIDRef="0"><hp:t>{text}</hp:t></hp:run>'


def p(*runs: str) -> str:
    return f'<hp:p paraPrIDRef="0" styleIDRef="0">{"".join(runs)}<hp:linesegarray/></hp:p>'


def section(*paragraphs: str, year: int = 2011) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><hs:sec {NS.format(y=year)}>{"".join(paragraphs)}</hs:sec>'


def table(rows: list[list[str]]) -> str:
    """A run holding a table, as Hangul writes it; "|" in a cell text separates its paragraphs."""

    def cell(text: str) -> str:
        paragraphs = "".join(p(t(part)) for part in text.split("|"))
        return f'<hp:tc><hp:subList>{paragraphs}</hp:subList><hp:cellSpan colSpan="1" rowSpan="1"/></hp:tc>'

    body = "".join("<hp:tr>" + "".join(cell(c) for c in row) + "</hp:tr>" for row in rows)
    return f'<hp:run charPrIDRef="0"><hp:tbl rowCnt="{len(rows)}">{body}</hp:tbl><hp:t/></hp:run>'


def hwpx(sections: dict[str, str], *, package: bool = True, mimetype: str = "application/hwp+zip") -> bytes:
    """A genuine HWPX package; sections are given in reading order but stored in reverse."""
    ids = [name.removeprefix("Contents/").removesuffix(".xml") for name in sections]
    hpf = (
        '<opf:package xmlns:opf="http://www.idpf.org/2007/opf/"><opf:manifest>'
        '<opf:item id="header" href="Contents/header.xml" media-type="application/xml"/>'
        + "".join(f'<opf:item id="{i}" href="Contents/{i}.xml" media-type="application/xml"/>' for i in ids)
        + '</opf:manifest><opf:spine><opf:itemref idref="header"/>'
        + "".join(f'<opf:itemref idref="{i}" linear="yes"/>' for i in ids)
        + "</opf:spine></opf:package>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("version.xml", '<hv:HCFVersion xmlns:hv="http://www.hancom.co.kr/hwpml/2011/version"/>')
        archive.writestr("META-INF/container.xml", CONTAINER)
        if package:
            archive.writestr("Contents/content.hpf", hpf)
        archive.writestr("Contents/header.xml", '<hh:head xmlns:hh="http://www.hancom.co.kr/hwpml/2011/head"/>')
        for name, xml in reversed(sections.items()):
            archive.writestr(name, xml)
    return out.getvalue()

"""Real HWP 5.0 files for the tests, written from Hancom's published format specification.

No library on PyPI writes the binary .hwp format, so this module writes one the way
Hangul does (HWP 5.0 format document, revision 1.3): an OLE compound file with a
``FileHeader`` stream, a ``DocInfo`` stream of ID mappings, fonts, shapes and styles,
and ``BodyText/Section<n>`` streams of records, both raw-deflate compressed.  The
comments name the spec's tables; where a file saved by Hangul differs from a table
(a few records are longer than listed), the builder writes what Hangul writes, so
independent readers accept the result.  The tests check every built file with a
second reader before the project's reader sees it.

A document is a list of blocks per section: a ``str`` is a paragraph (``\\t`` becomes
a tab control, ``\\n`` a line break), a ``list[list[str]]`` is a table in a paragraph
of its own, whose cells hold text (``\\n`` in a cell separates the cell's paragraphs),
and a ``tuple`` of those is one paragraph holding text and tables in that order.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cfbwrite import Entry, write_ole

Table = list[list[str]]
Block = str | Table | tuple[str | Table, ...]

VERSION = (5, 0, 3, 0)  # the version fields below are the ones the spec gives for 5.0.3.0
SIGNATURE = b"HWP Document File"
COMPRESSED, ENCRYPTED, DISTRIBUTABLE = 1 << 0, 1 << 1, 1 << 2  # FileHeader properties (spec table 3)

# Tag ids, HWPTAG_BEGIN (0x10) + n: DocInfo records (spec 4.2) and BodyText records (table 57).
DOCUMENT_PROPERTIES, ID_MAPPINGS, FACE_NAME, BORDER_FILL, CHAR_SHAPE = 0x10, 0x11, 0x13, 0x14, 0x15
TAB_DEF, PARA_SHAPE, STYLE, DISTRIBUTE_DOC_DATA = 0x16, 0x19, 0x1A, 0x1C
PARA_HEADER, PARA_TEXT, PARA_CHAR_SHAPE, PARA_LINE_SEG, CTRL_HEADER, LIST_HEADER = 0x42, 0x43, 0x44, 0x45, 0x47, 0x48
PAGE_DEF, FOOTNOTE_SHAPE, PAGE_BORDER_FILL, TABLE = 0x49, 0x4A, 0x4B, 0x4D

# Control characters in paragraph text (spec table 6).
SECTION_COLUMN_DEF, TAB, LINE_BREAK, OBJECT, PARAGRAPH_END = 0x02, 0x09, 0x0A, 0x0B, 0x0D

PLACEHOLDER_FOR_DISTRIBUTION = (
    "이 문서는 상위 버전의 배포용 문서입니다. 문서를 읽으려면 최신 버전의 한글 또는 한글 전용 뷰어가 필요합니다."
)


def hwp_document(
    *sections: Sequence[Block],
    encrypted: bool = False,
    distributable: bool = False,
    compressed: bool = True,
) -> bytes:
    """The bytes of a .hwp file with these sections.

    ``encrypted`` and ``distributable`` set the FileHeader bits and, as Hangul does,
    make the body unreadable without the key: an encrypted file's streams are
    ciphertext (random bytes here), a distribution document keeps its body in
    ``ViewText`` and leaves a placeholder paragraph in ``BodyText``.
    """
    properties = (COMPRESSED if compressed else 0) | (ENCRYPTED if encrypted else 0)
    properties |= DISTRIBUTABLE if distributable else 0
    pack = deflate if compressed else bytes
    doc_info = pack(doc_info_stream(len(sections)))
    bodies = [pack(section_stream(blocks)) for blocks in sections]
    streams: dict[str, bytes | dict[str, bytes]] = {
        "\x05HwpSummaryInformation": summary_information(_title(sections)),
        "FileHeader": file_header(properties),
        "DocInfo": doc_info,
    }
    if encrypted:
        noise = _noise(len(doc_info))
        streams["DocInfo"] = noise
        bodies = [_noise(len(body)) for body in bodies]
    if distributable:  # each ViewText stream opens with the key record (table 53), then the encrypted body
        key = record(DISTRIBUTE_DOC_DATA, 0, _noise(256))
        streams["ViewText"] = {f"Section{i}": key + _noise(len(body)) for i, body in enumerate(bodies)}
        bodies = [pack(section_stream([PLACEHOLDER_FOR_DISTRIBUTION])) for _ in bodies]
    streams["BodyText"] = {f"Section{i}": body for i, body in enumerate(bodies)}
    return compound_file(streams)


def compound_file(streams: dict[str, bytes | dict[str, bytes]]) -> bytes:
    """An OLE compound file: a ``dict`` value is a storage holding further streams."""

    def entry(name: str, content: bytes | dict[str, bytes]) -> Entry:
        if isinstance(content, dict):
            return Entry(name, True, 0, None, [entry(n, c) for n, c in content.items()])
        return Entry(name, False, len(content), lambda c=content: c)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.hwp"
        write_ole(path, [entry(name, content) for name, content in streams.items()])
        return path.read_bytes()


def file_header(properties: int, version: tuple[int, int, int, int] = VERSION) -> bytes:
    """Spec table 3: signature (32 bytes), version 0xMMnnPPrr, properties, then reserved fields up to 256 bytes."""
    major, minor, build, revision = version
    packed_version = major << 24 | minor << 16 | build << 8 | revision
    return SIGNATURE.ljust(32, b"\0") + struct.pack("<II", packed_version, properties) + bytes(216)


# FMTID {9FA2B660-1061-11D4-B4C6-006097C09D8C}: Hangul's summary property set, as GUID bytes (fields little-endian)
HWP_SUMMARY_FMTID = bytes.fromhex("60b6a29f6110d411b4c6006097c09d8c")
VT_I4, VT_LPWSTR, VT_FILETIME = 0x03, 0x1F, 0x40
SAVED_AT = datetime(2024, 1, 2, 0, 0, tzinfo=UTC)


def summary_information(title: str, author: str = "고양시") -> bytes:
    """The ``\\x05HwpSummaryInformation`` stream (spec 3.2.4, table 7), an MS-OLEPS property set as Hangul writes it.

    The same properties in the same order as a file saved by Hangul: the strings
    (title, subject, author, date text, keywords, comments, last author, revision),
    the times, page and paragraph counts, and a closing dictionary (property 0)
    holding one empty name, which pyhwp and others expect.
    """

    def text(value: str) -> bytes:
        encoded = (value + "\0").encode("utf-16-le")
        return struct.pack("<II", VT_LPWSTR, len(encoded) // 2) + encoded

    filetime = struct.pack(
        "<IQ", VT_FILETIME, int((SAVED_AT - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10**7)
    )
    values = [
        (0x02, text(title)),
        (0x03, text("")),
        (0x04, text(author)),
        (0x14, text("2024년 1월 2일 화요일 오전 9:00:00")),
        (0x05, text("")),
        (0x06, text("")),
        (0x08, text(author)),
        (0x09, text("9, 1, 1, 5656 WIN32LEWindows_10")),
        (0x0C, filetime),
        (0x0D, filetime),
        (0x0B, struct.pack("<IQ", VT_FILETIME, 0)),
        (0x0E, struct.pack("<Ii", VT_I4, 1)),
        (0x15, struct.pack("<Ii", VT_I4, 0)),
        (0x00, struct.pack("<IIIB", 1, 0, 1, 0)),
    ]
    offset = 8 + 8 * len(values)
    index, body = b"", b""
    for pid, value in values:
        index += struct.pack("<II", pid, offset + len(body))
        body += value + bytes(-len(value) % 4)  # every property starts on a 4-byte boundary
    section = struct.pack("<II", 8 + len(index) + len(body), len(values)) + index + body
    header = struct.pack("<HHI", 0xFFFE, 0, 0x00020105) + HWP_SUMMARY_FMTID + struct.pack("<I", 1)
    return header + HWP_SUMMARY_FMTID + struct.pack("<I", len(header) + 20) + section


def _title(sections: Sequence[Sequence[Block]]) -> str:
    return next((block for blocks in sections for block in blocks if isinstance(block, str) and block.strip()), "")


def record(tag: int, level: int, payload: bytes) -> bytes:
    """Spec 4.1: a 32-bit header (tag 10 bits, level 10 bits, size 12 bits); size 0xFFF means a DWORD size follows."""
    if len(payload) < 0xFFF:
        return struct.pack("<I", tag | level << 10 | len(payload) << 20) + payload
    return struct.pack("<II", tag | level << 10 | 0xFFF << 20, len(payload)) + payload


# --- DocInfo -----------------------------------------------------------------------------------

LANGUAGES = 7  # Hangul, Latin, Hanja, Japanese, other, symbol, user: fonts and sizes are given per language


def doc_info_stream(section_count: int = 1) -> bytes:
    """The smallest DocInfo Hangul writes: one font per language, two border fills, one of each shape and style."""
    face_names = [record(FACE_NAME, 1, b"\0" + _bstr("함초롬바탕")) for _ in range(LANGUAGES)]  # table 19
    # tables 15 and 16: how many records of each kind follow (binary data, fonts per language, border fills,
    # char shapes, tab defs, numberings, bullets, para shapes, styles, memo shapes); 16 counts before 5.0.3.2
    id_mappings = [0, *[1] * LANGUAGES, 2, 1, 1, 0, 0, 1, 1, 0]
    return b"".join(
        [
            # spec table 14: section count, start numbers (page, footnote, endnote, picture, table, equation),
            # list id, paragraph id, caret position
            record(DOCUMENT_PROPERTIES, 0, struct.pack("<7H3I", section_count, 1, 1, 1, 1, 1, 1, 0, 0, 0)),
            record(ID_MAPPINGS, 0, struct.pack(f"<{len(id_mappings)}I", *id_mappings)),
            *face_names,
            record(BORDER_FILL, 1, _border_fill(line_type=0)),  # id 1: no lines, for pages and paragraphs
            record(BORDER_FILL, 1, _border_fill(line_type=1)),  # id 2: solid lines, for table cells
            record(CHAR_SHAPE, 1, _char_shape()),
            record(TAB_DEF, 1, struct.pack("<Ii", 0, 0)),  # no tab stops
            record(PARA_SHAPE, 1, _para_shape()),
            # table 47: names, paragraph style, next style, Korean, shapes 0, and the 2 bytes Hangul adds
            record(STYLE, 1, _bstr("바탕글") + _bstr("Normal") + struct.pack("<BBhHHH", 0, 0, 0x412, 0, 0, 0)),
        ]
    )


def _border_fill(line_type: int) -> bytes:
    """Spec table 23: properties, four borders, diagonal, no fill (table 28) and no extra fill data.

    Hangul writes each border as (type, width 0.12 mm, colour) in turn, where table 23 lists three arrays.
    """
    border = struct.pack("<BBI", line_type, 1, 0)
    return struct.pack("<H", 0) + border * 4 + struct.pack("<BBI", 0, 0, 0) + struct.pack("<II", 0, 0)


def _char_shape() -> bytes:
    """Spec table 33 with the fields of 5.0.3.0: per language font id, width, spacing, size, offset; 10 pt; colours."""
    per_language = struct.pack("<7H", *[0] * LANGUAGES) + bytes([100] * 7) + bytes(7) + bytes([100] * 7) + bytes(7)
    colours = struct.pack("<bbIIII", 10, 10, 0x000000, 0x000000, 0xFFFFFFFF, 0xB2B2B2)  # shadow gaps, text..shadow
    return per_language + struct.pack("<iI", 1000, 0) + colours + struct.pack("<HI", 0, 0)  # border fill, strikeout


def _para_shape() -> bytes:
    """Spec table 43 for 5.0.3.0: justified, 160 % line spacing, no margins, no numbering."""
    margins = struct.pack("<I6i", 0x80, 0, 0, 0, 0, 0, 160)  # properties, left, right, indent, above, below, spacing
    ids = struct.pack("<HHH4h", 0, 0, 0, 0, 0, 0, 0)  # tab def, numbering/bullet, border fill, border gaps
    return margins + ids + struct.pack("<III", 0, 0, 160)  # properties 2 and 3, line spacing (5.0.2.5 on)


# --- BodyText ----------------------------------------------------------------------------------


def section_stream(blocks: Sequence[Block]) -> bytes:
    """A section: the first paragraph carries the section and column definitions, as in every Hangul file."""
    blocks = list(blocks) or [""]
    out = []
    for number, block in enumerate(blocks):
        last = number == len(blocks) - 1
        out.append(_paragraph(block, level=0, last=last, section_start=number == 0))
    return b"".join(out)


def _paragraph(block: Block, level: int, last: bool, section_start: bool = False) -> bytes:
    """PARA_HEADER with its text, char shape and line layout, then the records of its controls."""
    text: list[int] = []
    controls: list[bytes] = []
    mask = 0
    if section_start:
        text += _extended_control(SECTION_COLUMN_DEF, b"secd") + _extended_control(SECTION_COLUMN_DEF, b"cold")
        controls += [_section_definition(level + 1), record(CTRL_HEADER, level + 1, _column_definition())]
        mask |= 1 << SECTION_COLUMN_DEF
    for part in block if isinstance(block, tuple) else [block]:
        if isinstance(part, str):
            for char in part:
                if char == "\t":
                    text += [TAB] + [0] * 6 + [TAB]  # an inline control: 8 WCHARs, the 6 between hold its width
                    mask |= 1 << TAB
                elif char == "\n":
                    text.append(LINE_BREAK)
                    mask |= 1 << LINE_BREAK
                else:
                    encoded = char.encode("utf-16-le")  # a character outside the BMP takes two WCHARs
                    text += list(struct.unpack(f"<{len(encoded) // 2}H", encoded))
        else:
            text += _extended_control(OBJECT, b"tbl ")
            controls.append(_table(part, level + 1))
            mask |= 1 << OBJECT
    text.append(PARAGRAPH_END)
    chars = len(text) | (0x80000000 if last else 0)  # the top bit marks the last paragraph of its list
    header = struct.pack("<IIHBBHHHI", chars, mask, 0, 0, 0, 1, 0, 1, 0)  # spec table 58 (22 bytes before 5.0.3.2)
    records = [record(PARA_HEADER, level, header)]
    if text != [PARAGRAPH_END]:  # Hangul writes no PARA_TEXT (table 60) for an empty paragraph
        records.append(record(PARA_TEXT, level + 1, struct.pack(f"<{len(text)}H", *text)))
    records.append(record(PARA_CHAR_SHAPE, level + 1, struct.pack("<II", 0, 0)))  # table 61: char shape 0 from 0
    # spec table 62: one line, at the top, 10 pt high, full text width; flags: first and last line of the paragraph
    records.append(record(PARA_LINE_SEG, level + 1, struct.pack("<8iI", 0, 0, 1000, 1000, 850, 600, 0, 42520, 0x60000)))
    return b"".join(records + controls)


def _extended_control(code: int, chid: bytes) -> list[int]:
    """8 WCHARs: the code, the control id (a UINT32 written as 4 characters), 4 reserved WCHARs, the code again."""
    low, high = struct.unpack("<HH", _ctrl_id(chid))
    return [code, low, high, 0, 0, 0, 0, code]


def _ctrl_id(chid: bytes) -> bytes:
    """MAKE_4CHID('t','b','l',' '): the first letter in the high byte, so the UINT32 is stored reversed."""
    return chid[::-1]


def _section_definition(level: int) -> bytes:
    """The 'secd' control (spec table 129) with an A4 page (table 131), note shapes and page borders as children.

    The control and the note shapes are as long as Hangul writes them (36 and 28 bytes, the tables say 30 and 26).
    """
    secd = _ctrl_id(b"secd") + struct.pack("<IHHHIHHHHHII", 0, 1134, 0, 0, 8000, 1, 0, 0, 0, 0, 0, 0)
    a4 = struct.pack("<9II", 59528, 84188, 8504, 8504, 5668, 4252, 4252, 4252, 0, 0)
    # table 133: numbering 1 2 3, no symbol or prefix, suffix ")", start at 1, separator as wide as Hangul's
    # default (-1), gaps, a 0.12 mm solid black separator line
    note = struct.pack("<IHHHHiHHHBBI", 0, 0, 0, 0x29, 1, -1, 850, 567, 283, 1, 1, 0)
    page_border = struct.pack("<I4HH", 1, 1417, 1417, 1417, 1417, 1)  # table 135
    return b"".join(
        [
            record(CTRL_HEADER, level, secd),
            record(PAGE_DEF, level + 1, a4),
            record(FOOTNOTE_SHAPE, level + 1, note),
            record(FOOTNOTE_SHAPE, level + 1, note),
            *[record(PAGE_BORDER_FILL, level + 1, page_border) for _ in range(3)],  # both, even, odd pages
        ]
    )


def _column_definition() -> bytes:
    """The 'cold' control (spec table 138): one column, same widths, no separator line."""
    return _ctrl_id(b"cold") + struct.pack("<HHH", 0x1004, 0, 0) + struct.pack("<BBI", 0, 0, 0)


CELL_WIDTH, CELL_HEIGHT, CELL_PADDING = 10630, 1282, 141


def _table(rows: Table, level: int) -> bytes:
    """CTRL_HEADER 'tbl ' (spec table 69), TABLE (table 75), then per cell a LIST_HEADER (table 79) and paragraphs.

    The object header is 44 bytes, as in Hangul's files (table 69 adds an empty description length); a cell's
    LIST_HEADER is 38: paragraph count and properties (table 65, with 2 bytes more), the cell (table 80), and
    4 bytes Hangul appends.
    """
    columns = max(len(row) for row in rows)
    width, height = CELL_WIDTH * columns, CELL_HEIGHT * len(rows)
    # properties (table 70) 0x082A2210, those of Hangul's own tables: placed in the paragraph's column,
    # fixed size, text above and below it, numbered as a table; outer margins 1 mm
    common = struct.pack("<IiiIIi4HIi", 0x082A2210, 0, 0, width, height, 0, 283, 283, 283, 283, 0x6C026C9A, 0)
    cells = struct.pack(f"<{len(rows)}H", *[len(row) for row in rows])
    table = struct.pack("<IHHH4H", 6, len(rows), columns, 0, *[CELL_PADDING] * 4) + cells + struct.pack("<HH", 2, 0)
    out = [record(CTRL_HEADER, level, _ctrl_id(b"tbl ") + common), record(TABLE, level + 1, table)]
    for row_number, row in enumerate(rows):
        for column, text in enumerate(row):
            paragraphs = text.split("\n")
            cell = struct.pack("<HHI", len(paragraphs), 0, 0x20)  # paragraph count, vertical centre
            cell += struct.pack(
                "<4HII4HHI", column, row_number, 1, 1, CELL_WIDTH, CELL_HEIGHT, *[CELL_PADDING] * 4, 2, CELL_WIDTH
            )
            out.append(record(LIST_HEADER, level + 1, cell))
            for number, paragraph in enumerate(paragraphs):
                out.append(_paragraph(paragraph, level + 1, last=number == len(paragraphs) - 1))
    return b"".join(out)


def _bstr(text: str) -> bytes:
    """A string as the spec stores it (e.g. table 19): its WORD length in characters, then UTF-16LE."""
    encoded = text.encode("utf-16-le")
    return struct.pack("<H", len(encoded) // 2) + encoded


def deflate(data: bytes) -> bytes:
    """Compressed streams (spec section 1: zlib) are raw deflate, without the zlib header, as Hangul writes them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _noise(size: int) -> bytes:
    """Deterministic bytes that look like ciphertext (a stand-in for Hancom's encryption, which is not public)."""
    size = max(size, 16)
    out = b""
    counter = 0
    while len(out) < size:
        out += zlib.crc32(counter.to_bytes(4, "little")).to_bytes(4, "little")
        counter += 1
    return out[:size]


# --- the independent check ---------------------------------------------------------------------


def read_with_pyhwp(data: bytes) -> list[Block]:
    """The blocks of an .hwp as pyhwp (the long-standing reference parser, its own record model) reads them.

    The tests build a file, check with this that a second reader finds exactly the
    paragraphs and tables that were written, and only then hand it to the project's
    reader.  Top-level paragraphs and tables only (text before a table in the same
    paragraph is a paragraph of its own); a cell is its paragraphs joined by ``\\n``.
    """
    from hwp5.treeop import STARTEVENT
    from hwp5.xmlmodel import Hwp5File

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.hwp"
        path.write_bytes(data)
        hwp = Hwp5File(str(path))
        try:
            events = list(hwp.bodytext.events())
        finally:
            hwp.close()
    blocks: list[Block] = []
    stack: list[str] = []  # the models open around the current event, outermost first
    text: list[str] = []  # the paragraph being read
    rows: list[list[list[str]]] = []  # the top-level table being read: rows of cells of paragraphs
    had_table = False
    for event, (model_type, attributes, *_) in events:
        model = model_type.__name__
        if event is STARTEVENT:
            top_level = "Paragraph" not in stack  # pyhwp nests a section's paragraphs in its SectionDef
            in_cell = bool(stack) and stack[-1] == "TableCell"
            stack.append(model)
            tables_open = stack.count("TableControl")
            if model == "Paragraph" and top_level:
                text, had_table = [], False
            elif model == "Paragraph" and in_cell:
                text = []
            elif model == "TableControl" and tables_open == 1:
                if "".join(text).strip():
                    blocks.append("".join(text))
                text, rows, had_table = [], [], True
            elif model == "TableRow" and tables_open == 1:
                rows.append([])
            elif model == "TableCell" and tables_open == 1:
                rows[-1].append([])
            elif model == "Text":
                text.append(attributes["text"])
            elif model == "ControlChar" and attributes.get("name") in ("TAB", "LINE_BREAK"):
                text.append("\t" if attributes["name"] == "TAB" else "\n")
            continue
        stack.pop()
        if model == "Paragraph" and "Paragraph" not in stack:
            if "".join(text) or not had_table:
                blocks.append("".join(text))
        elif model == "Paragraph" and stack[-1] == "TableCell" and stack.count("TableControl") == 1:
            rows[-1][-1].append("".join(text))
        elif model == "TableControl" and "TableControl" not in stack:
            blocks.append([["\n".join(cell) for cell in row] for row in rows])
            text = []
    return blocks

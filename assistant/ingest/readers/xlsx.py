"""XLSX reader: every visible sheet as tables of cell texts, with the sheet's own row numbers.

Korean public-sector spreadsheets are mostly one table per sheet, often under a merged
title row ("2024년 사업별 예산 현황"), with a two-row header ("예산" over "국비 | 도비")
and a 구분 column merged down over the rows it groups.  The reader undoes the layout:
the title becomes a heading, the header rows become one row of column names, and a
merged 구분 is repeated on every row it covers, so each row reads on its own; text typed
down one column (an overview sheet) arrives as lines.  Values are written as Excel
shows them ("1,234", "12.5%", "2024-03-01"), not as stored floats.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import olefile
import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from assistant.ingest.elements import Element, Heading, Line, Place, TableElement, UnreadableDocument
from assistant.ingest.readers.archive import open_zip

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Far above the tables of a plan document, far below what openpyxl (a few hundred bytes per cell) can hold.
MAX_CELLS = 200_000
# Styles, shared strings and rows are objects too; this bounds them where the cell count does not.
MAX_XML_ELEMENTS = 5_000_000
# The start tag of a cell, ``<c r="A1" ...>``, with or without a namespace prefix.
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
# Rows of one cell that annotate a table rather than belong to it.
_NOTE_START = ("※", "*", "주)", "주:", "주 :", "(주", "자료", "출처", "(단위", "[단위", "단위", "<단위")
_MAX_TITLE_ROWS = 2  # single-cell rows above a table that are its title and unit line, not its data


def read(data: bytes) -> list[Element]:
    """``Place`` per visible sheet, then its title lines and tables.

    The workbook is checked for size before openpyxl loads it, because openpyxl holds
    every cell (and every cell a merge covers) as an object; errors of the zip, XML and
    openpyxl layers are wrapped so a bad upload is reported, not crashed on.
    """
    if data[:8] == OLE_MAGIC:
        raise UnreadableDocument(_ole_reason(data))
    archive = open_zip(data, "an XLSX file")  # zip-bomb guard before anything inflates a part
    try:
        with archive:
            _check_size(archive)
    except UnreadableDocument:
        raise
    except Exception as exc:  # zlib.error, BadZipFile (CRC), NotImplementedError (compression method), ...
        raise UnreadableDocument(f"corrupt XLSX file ({type(exc).__name__}: {exc})") from exc
    try:
        with warnings.catch_warnings():
            # openpyxl warns about every extension it drops (data validation, slicers); none of them is text
            warnings.simplefilter("ignore", UserWarning)
            # data_only: a formula cell gives the value Excel cached when it last saved the file.  A file
            # written by a program that does not calculate (openpyxl, many exporters) has no cached value,
            # and the cell reads as empty: computing formulas here would mean reimplementing Excel.
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_links=False)
    except Exception as exc:  # InvalidFileException, KeyError (no workbook part), ValueError (bad XML), ...
        reason = exc.__cause__ or exc  # openpyxl wraps a sheet's XML error into a generic ValueError
        raise UnreadableDocument(f"not a readable XLSX file ({type(reason).__name__}: {reason})") from exc
    try:
        elements: list[Element] = []
        visible = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
        per_sheet = [_sheet_elements(sheet) for sheet in visible]  # hidden sheets: lookups and scratch work
        named = sum(1 for sheet_elements in per_sheet if sheet_elements) > 1
        for sheet, sheet_elements in zip(visible, per_sheet):
            if named and sheet_elements:
                # several sheets: each is a section under its name ("사업별 예산"), so a chunk never mixes two
                # sheets and the name is searchable; one sheet's name ("Sheet1") would say nothing
                sheet_elements = [sheet_elements[0], Heading(sheet.title, 1), *(
                    dataclasses.replace(e, level=e.level + 1) if isinstance(e, Heading) else e
                    for e in sheet_elements[1:])]
            elements.extend(sheet_elements)
    except Exception as exc:  # a malformed merge range or cell that only fails when used
        raise UnreadableDocument(f"corrupt XLSX file ({type(exc).__name__}: {exc})") from exc
    finally:
        workbook.close()
    if not any(isinstance(e, TableElement) or (isinstance(e, Line | Heading) and e.text) for e in elements):
        raise UnreadableDocument(f"XLSX workbook has no text in its {len(visible)} visible sheet(s)")
    return elements


def _ole_reason(data: bytes) -> str:
    """An OLE file is either a legacy .xls or an encrypted XLSX: Office wraps password-protected files in OLE."""
    try:
        with olefile.OleFileIO(data) as ole:
            encrypted = ole.exists("EncryptedPackage")
    except Exception:  # a damaged OLE header: whatever it is, it is not an XLSX file
        encrypted = False
    if encrypted:
        return "encrypted XLSX file (password-protected; save it again without a password)"
    return "not an XLSX file (this is a binary .xls/OLE file; save it as .xlsx)"


def _check_size(archive: zipfile.ZipFile) -> None:
    """Refuse workbooks too big to load, counting tags in the raw parts (cheap) before openpyxl parses them.

    Every part is counted, not only ``xl/worksheets/``: a sheet may live at any path the
    workbook's relationships name.  Counts are exact for the XML openpyxl reads; a binary
    part (an image) adds a handful of false hits at most.
    """
    cells = elements = 0
    for info in archive.infolist():
        part = archive.read(info)
        if b"<!DOCTYPE" in part and not info.filename.startswith("xl/media/"):  # images (SVG) may have one
            # OOXML parts never declare a DTD; one that does is an entity-expansion attack (openpyxl's own
            # defusedxml and libxml2 limits would stop it too, with a less telling message)
            raise UnreadableDocument(f"refusing XLSX part {info.filename} with a DTD (XML entity bomb?)")
        elements += part.count(b"<") - part.count(b"</")
        if elements > MAX_XML_ELEMENTS:
            raise UnreadableDocument(f"refusing XLSX file with over {MAX_XML_ELEMENTS:,} XML elements")
        for _ in _CELL_TAG.finditer(part):
            cells += 1
            if cells > MAX_CELLS:
                raise UnreadableDocument(f"refusing workbook with over {MAX_CELLS:,} cells (too large to read)")
        for match in _MERGE_REF.finditer(part):
            # openpyxl creates a placeholder cell for every cell a merge covers
            cells += _merge_area(match.group(1).decode("ascii", "replace"))
            if cells > MAX_CELLS:
                raise UnreadableDocument(
                    f"refusing workbook with over {MAX_CELLS:,} cells, counting merged ranges (too large to read)"
                )


def _merge_area(ref: str) -> int:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return 0  # openpyxl rejects it when loading
    if None in (min_col, min_row, max_col, max_row):  # whole rows or columns: "A:C", "3:5"
        return MAX_CELLS + 1
    return (max_row - min_row + 1) * (max_col - min_col + 1)


# --- one sheet -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Merge:
    min_row: int
    min_col: int
    max_row: int
    max_col: int
    text: str


class _Grid:
    """A sheet's non-empty cell texts, row by row, and its merged ranges."""

    def __init__(self, sheet: Worksheet) -> None:
        self.values: dict[tuple[int, int], str] = {}
        # openpyxl keeps a sheet's cells in a dict keyed by (row, column); iter_rows() would instead create
        # every empty cell of the bounding box, which one stray cell at XFD1048576 makes astronomically large.
        for (row, column), cell in sheet._cells.items():
            if (text := _cell_text(cell)) != "":
                self.values[row, column] = text
        self.merges: list[_Merge] = []
        self.merge_at: dict[tuple[int, int], _Merge] = {}
        for merged in sheet.merged_cells.ranges:
            merge = _Merge(merged.min_row, merged.min_col, merged.max_row, merged.max_col,
                           self.values.get((merged.min_row, merged.min_col), ""))
            self.merges.append(merge)
            for row in range(merge.min_row, merge.max_row + 1):
                for column in range(merge.min_col, merge.max_col + 1):
                    self.merge_at[row, column] = merge
        # the texts a reader sees on each row: a merge down one column (구분 over the rows it groups)
        # reads as its value on every row it covers
        filled = dict(self.values)
        for merge in self.merges:
            if merge.text and merge.max_row > merge.min_row:
                for row in range(merge.min_row, merge.max_row + 1):
                    filled[row, merge.min_col] = merge.text
        self.rows: dict[int, dict[int, str]] = {}
        for (row, column), text in sorted(filled.items()):
            self.rows.setdefault(row, {})[column] = text

    def header_text(self, row: int, column: int) -> str:
        """A header cell's text; a header merged across columns names each column it covers."""
        merge = self.merge_at.get((row, column))
        return merge.text if merge is not None else self.values.get((row, column), "")

    def spans_columns(self, row: int) -> list[_Merge]:
        """Merges with text that start on ``row`` and cover more than one column."""
        return [m for m in self.merges if m.min_row == row and m.max_col > m.min_col and m.text]

    def single_text(self, row: int) -> str | None:
        """The text of a row that has exactly one non-empty cell, else None."""
        cells = self.rows[row]
        return next(iter(cells.values())) if len(cells) == 1 else None


def _sheet_elements(sheet: Worksheet) -> list[Element]:
    grid = _Grid(sheet)
    if not grid.rows:
        return []
    elements: list[Element] = [Place(sheet=sheet.title)]
    headings = 0
    blocks = [_split_notes(rows, grid) for rows in _blocks(sorted(grid.rows))]
    for index, (leading, table_rows, trailing) in enumerate(blocks):
        if table_rows and all(grid.single_text(row) is not None for row in table_rows):
            # text typed down one column is prose, not a table: as lines the structure parser finds
            # its headings and bullets (□ ○ -), which a one-column table would hide
            blocks[index] = (leading, [], table_rows + trailing)
    last_table = max((i for i, block in enumerate(blocks) if block[1]), default=-1)
    for index, (leading, table_rows, trailing) in enumerate(blocks):
        # a cell standing alone names the table after it ("2. 세부 내역"); with no table after it, it is a remark
        names_a_table = index <= last_table
        if index:
            elements.append(Line(""))  # the empty row(s) between: a numbered title after one is a heading
        for row in leading:
            text = grid.single_text(row) or ""
            if _is_note(text) or "\n" in text or not names_a_table:
                elements.append(Line(text, source_line=row))
            else:
                headings += 1  # the first is the sheet's title; later ones name the tables below them
                elements.append(Heading(text, 1 if headings == 1 else 2, source_line=row))
        if table_rows:
            elements.append(_table(grid, table_rows))
        elements.extend(Line(grid.single_text(row) or "", source_line=row) for row in trailing)
    return elements


def _blocks(rows: list[int]) -> list[list[int]]:
    """Runs of consecutive non-empty rows: an empty row separates two tables on one sheet."""
    blocks: list[list[int]] = []
    for row in rows:
        if blocks and row == blocks[-1][-1] + 1:
            blocks[-1].append(row)
        else:
            blocks.append([row])
    return blocks


def _split_notes(rows: list[int], grid: _Grid) -> tuple[list[int], list[int], list[int]]:
    """Title rows above the table, the table's rows, and note rows (``※ 자료: ...``) below it.

    A title is a row of one cell (usually merged across the table) directly above a row
    of several cells; a block that is one cell alone is a title or note too.
    """
    single = [grid.single_text(row) is not None for row in rows]
    if len(rows) == 1 and single[0]:
        return rows, [], []
    lead = 0
    while lead < min(_MAX_TITLE_ROWS, len(rows) - 1) and single[lead]:
        lead += 1
    if lead and single[lead]:  # a one-column list, not titles over a table
        lead = 0
    end = len(rows)
    while end > lead + 1 and single[end - 1] and _is_note(grid.single_text(rows[end - 1]) or ""):
        end -= 1
    return rows[:lead], rows[lead:end], rows[end:]


def _is_note(text: str) -> bool:
    return text.startswith(_NOTE_START)


def _table(grid: _Grid, rows: list[int]) -> TableElement:
    """The header (one row, however many the sheet uses) and the data rows, over the block's non-empty columns."""
    band = _header_band(grid, rows)
    columns = {c for row in rows for c in grid.rows[row]}
    for row in rows[:band]:  # a header merged across columns names columns that may be empty below it
        columns.update(c for m in grid.spans_columns(row) for c in range(m.min_col, m.max_col + 1))
    ordered = sorted(columns)
    header = [_combined(grid.header_text(row, c) for row in rows[:band]) for c in ordered]
    body = [[grid.rows[row].get(c, "") for c in ordered] for row in rows[band:]]
    return TableElement([header, *body], source_line=rows[0], row_numbers=[rows[0], *rows[band:]])


def _header_band(grid: _Grid, rows: list[int]) -> int:
    """How many rows the header takes: 1, or 2-3 when a header cell spans columns over sub-headers.

    "예산" merged over two columns with "국비 | 도비" below it is a two-row header; the
    cells beside it (구분, 비고) are then usually merged down over both rows.
    """
    first = rows[0]
    spanning = grid.spans_columns(first)
    if not spanning or len(rows) < 3:
        return 1
    below = [grid.values.get((first + 1, c), "") for m in spanning for c in range(m.min_col, m.max_col + 1)]
    if not all(text and not _is_number_like(text) for text in below):
        return 1
    down = max((m.max_row for m in grid.merges if m.min_row == first and m.max_row > first), default=first + 1)
    return max(2, min(down - first + 1, 3, len(rows) - 1))


def _combined(parts: Iterable[str]) -> str:
    """"예산" over "국비" -> "예산 > 국비"; a label merged down over the band is said once."""
    names: list[str] = []
    for part in parts:
        if part and (not names or names[-1] != part):
            names.append(part)
    return " > ".join(names)


def _is_number_like(text: str) -> bool:
    return bool(re.fullmatch(r"[-+△▲]?[\d,.]+%?", text))


# --- cell values ---------------------------------------------------------------------------------


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return number_text(value, cell.number_format or "General")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.timedelta):  # a duration format such as [h]:mm
        minutes, seconds = divmod(round(value.total_seconds()), 60)
        return f"{minutes // 60}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # the structure parser joins cells with tabs; a cell's own lines keep their breaks
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


_FORMAT_TOKEN = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.|.', re.DOTALL)
_PLACEHOLDERS = set("0#?")


def number_text(value: int | float, number_format: str) -> str:
    """A number as Excel displays it under common formats: ``#,##0`` -> "1,234", ``0.0%`` -> "12.5%".

    Thousands separators, decimal places, percent, scaling commas (``#,##0,`` in
    thousands), literal text (``#,##0"원"``, ``[$₩-412]``) and a negative section
    (``#,##0;△#,##0``, common in Korean budgets) are honoured; anything rarer (conditions,
    fractions, scientific) falls back to Excel's "General": up to 15 significant digits,
    which also removes binary noise such as 0.30000000000000004.
    """
    sections = _format_sections(number_format)
    index = 1 if value < 0 and len(sections) >= 2 else 2 if value == 0 and len(sections) >= 3 else 0
    tokens = sections[index]
    number = _decimal(abs(value) if index else value)
    if number is None or not tokens or any(t.startswith("[") and t[1:2] in "<>=" for t in tokens):
        return _general(value)
    prefix, suffix, pattern = [], [], []
    for token in tokens:
        char = token[0]
        if token in _PLACEHOLDERS or (token in ",." and pattern) or token == "%":
            if token == "%":
                number *= 100
                suffix.append("%")  # a percent sign ends the number, wherever the format puts it
            else:
                pattern.append(token)
                suffix.clear()  # literals between placeholders ("0-00") are dropped
            continue
        literal = ""
        if char == '"':
            literal = token[1:-1]
        elif char == "\\":
            literal = token[1]
        elif char == "[":
            if token.startswith("[$"):  # a currency/locale tag: [$₩-412] shows "₩"
                literal = token[2:-1].split("-", 1)[0]
        elif char in "_*":  # padding the width of a character, and fill: layout, not text
            literal = ""
        elif token.lower() in set("eymdhs@/"):
            return _general(value)  # scientific, date, text or fraction formats
        else:
            literal = token
        (suffix if pattern else prefix).append(literal)
    if not pattern:
        return "".join(prefix) or _general(value)
    spec = "".join(pattern)
    integer_part, _, fraction_part = spec.partition(".")
    scaled_by = len(integer_part) - len(integer_part.rstrip(","))  # trailing commas divide by 1000 each
    places = sum(1 for ch in fraction_part if ch in _PLACEHOLDERS)
    try:
        number /= Decimal(1000) ** scaled_by
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)  # Excel rounds half up
    except InvalidOperation:  # more places than Decimal's precision: no real format asks for that
        return _general(value)
    grouping = "," if "," in integer_part.rstrip(",") else ""
    digits = format(number, f"{grouping}.{places}f")
    if fraction_part and all(ch == "#" for ch in fraction_part if ch in _PLACEHOLDERS):
        digits = digits.rstrip("0").rstrip(".") if "." in digits else digits  # "#.##" shows no trailing zeros
    if digits.startswith("-"):
        if number == 0:
            digits = digits[1:]  # -0.001 under "0.0" is shown as 0.0
        else:
            return "-" + "".join(prefix) + digits[1:] + "".join(suffix)
    return "".join(prefix) + digits + "".join(suffix)


def _format_sections(number_format: str) -> list[list[str]]:
    """The format's tokens split into its positive;negative;zero;text sections."""
    sections: list[list[str]] = [[]]
    if number_format.strip().lower() == "general":
        return [[]]
    for token in _FORMAT_TOKEN.findall(number_format):
        if token == ";":
            sections.append([])
        else:
            sections[-1].append(token)
    return sections


def _decimal(value: int | float) -> Decimal | None:
    """The value as Excel holds it: 15 significant digits, so 0.1 + 0.2 is 0.3."""
    try:
        return Decimal(value) if isinstance(value, int) else Decimal(f"{value:.15g}")
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _general(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    number = _decimal(value)
    if number is None:  # inf or nan: not something Excel stores, but a file may claim it
        return str(value)
    if number == number.to_integral_value() and abs(number) < Decimal("1e15"):
        return str(int(number))
    if -10 < number.adjusted() < 15:
        return format(number.normalize(), "f")
    return f"{value:.15g}".upper()  # Excel shows 1.5E-11

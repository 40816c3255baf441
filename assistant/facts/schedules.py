"""When things happen: ``ScheduleRecord`` facts from the dated lines and table rows of a document.

A record is one date expression on one line, with what that line says happens. Where the
text leaves out the year (``3.9.`` in a table of 2023 events, ``03-31`` in a project table),
it is taken from the nearest heading that names a year (``2023년 주요성과``), else from the
document's year.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.chunking import Chunk, ChunkKind
from assistant.facts.dates import find_dates

_YEAR = re.compile(r"(?<!\d)(20\d{2})(?:년|\s|$)")
_LEADING = re.compile(r"^[\s\-·•○□■▣◆※*\d.)(]+")
# a four-digit year, a quoted one ('24.), a YY-MM-DD cell or 년 after two digits
_STATES_YEAR = re.compile(r"(?:19|20)\d{2}|[‘'’`´]\s?\d{2}|^\d{2}-\d{2}-\d{2}|^\d{2}\s*년")
_UNQUOTED_YY = re.compile(r"^(\d{2})\s*\.\s*\d{1,2}")  # "24. 3." is a year only past 12


@dataclass
class ScheduleRecord:
    what: str  # the line without its date, trimmed
    when: str  # as written: '24. 3.~11.
    start_date: str  # ISO
    end_date: str  # ISO
    precision: str  # day, month, year
    iso: str  # 2024-03-01/2024-11-30, 2023-11-01, 2024-03
    year_inferred: bool  # the text did not say the year
    doc_id: str
    doc_title: str
    chunk_id: str
    section: str
    source_text: str  # the line, verbatim
    start: int  # span of source_text in the document's normalized text
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


def _states_year(text: str) -> bool:
    if _STATES_YEAR.search(text):
        return True
    match = _UNQUOTED_YY.match(text)
    return bool(match and int(match.group(1)) > 12)


def context_year(chunk: Chunk, document_year: str) -> int | None:
    """The year a chunk's dates belong to when they omit it: the deepest heading naming one."""
    for title in reversed(chunk.section_path):
        if match := _YEAR.search(title):
            return int(match.group(1))
    if match := re.match(r"(20\d{2})", document_year or ""):
        return int(match.group(1))
    return None


def extract_schedules(chunks: list[Chunk], document_years: dict[str, str]) -> list[ScheduleRecord]:
    records: list[ScheduleRecord] = []
    seen: set[tuple[str, int, int]] = set()  # overlapping chunks (one sentence of overlap) repeat lines
    for chunk in chunks:
        if chunk.kind is ChunkKind.CONTACT:
            continue
        default_year = context_year(chunk, document_years.get(chunk.doc_id, ""))
        for start, line in chunk.lines():
            for mention in find_dates(line, default_year=default_year):
                key = (chunk.doc_id, start + mention.start, start + mention.end)
                if key in seen or mention.precision == "year" and not mention.is_range:
                    continue  # a bare year ("2024년 예산") is a topic, not a schedule
                seen.add(key)
                what = (line[:mention.start] + " " + line[mention.end:]).replace("\t", " · ")
                what = _LEADING.sub("", re.sub(r"\s+", " ", what)).strip(" :·-")
                records.append(ScheduleRecord(
                    what=what or chunk.section, when=mention.text, start_date=mention.start_date.isoformat(),
                    end_date=mention.end_date.isoformat(), precision=mention.precision, iso=mention.iso,
                    year_inferred=not _states_year(mention.text),
                    doc_id=chunk.doc_id, doc_title=chunk.doc_title, chunk_id=chunk.chunk_id, section=chunk.section,
                    source_text=line, start=start, end=start + len(line),
                ))
    return records

"""What the tabs show, as plain rows and texts built from the loaded index (no Gradio here)."""

from __future__ import annotations

import datetime
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.chunking import Chunk
from assistant.facts import ContactRecord, ScheduleRecord
from assistant.facts.query import DateRangeError, find_schedules, parse_date_range
from assistant.ingest.manifest import DocumentInfo

CONTACT_HEADERS = ["사업", "부서", "직위", "이름", "전화", "문서", "섹션"]
SCHEDULE_HEADERS = ["날짜(원문)", "시작", "끝", "내용", "문서", "섹션"]
DOCUMENT_HEADERS = ["제목", "기관", "연도", "청크 수", "ID"]


class DateInputError(ValueError):
    """A date field that is not a real YYYY-MM-DD date; the message is for the user (Korean)."""


def contact_table(records: list[ContactRecord]) -> list[list[str]]:
    return [[r.program, r.department, r.role, r.name_as_written, r.phone_as_written, r.doc_title, r.section]
            for r in records]


def schedule_rows(records: list[ScheduleRecord], query: str | None, date_from: str | None,
                  date_to: str | None) -> list[ScheduleRecord]:
    """Schedule records in the range, sorted by date; raises DateInputError (Korean) for a bad date or range."""
    try:
        low, high = parse_date_range(date_from, date_to)
    except DateRangeError as exc:
        if exc.field == "order":
            start, end = exc.value.split("..")
            raise DateInputError(f"시작일({start})이 종료일({end})보다 늦습니다.") from None
        label = "시작일" if exc.field == "from" else "종료일"
        raise DateInputError(f"{label} '{exc.value}'은(는) 올바른 날짜가 아닙니다. YYYY-MM-DD 형식으로 입력해 주세요 "
                             "(예: 2024-03-01).") from None
    return find_schedules(records, query, low, high)


UPCOMING_DAYS = 30


@dataclass(frozen=True)
class UpcomingItem:
    record: ScheduleRecord
    label: str  # "D-3", "D-day", "진행 중 (~04-30)"
    days: int  # to the start; negative: started already and still running


def upcoming(records: list[ScheduleRecord], today: datetime.date, days: int = UPCOMING_DAYS) -> list[UpcomingItem]:
    """Day-precise items starting within ``days`` of ``today``, or running through it, soonest first.

    Month- or year-long entries ("2024. 3.", "2024년 하반기") are left out: a D-day count for
    them would claim a precision the document does not give.
    """
    horizon = today + datetime.timedelta(days=days)
    found: dict[tuple, UpcomingItem] = {}
    for record in find_schedules(records, None, today, horizon):
        if record.precision != "day":
            continue
        start, end = datetime.date.fromisoformat(record.start_date), datetime.date.fromisoformat(record.end_date)
        offset = (start - today).days
        if offset > 0:
            label = f"D-{offset}"
        elif offset == 0:
            label = "D-day"
        else:
            label = f"진행 중 (~{end:%m-%d})" if end >= today else ""
        key = (record.doc_id, record.start_date, record.end_date, record.what)  # one line, several mentions
        if label and key not in found:
            found[key] = UpcomingItem(record, label, offset)
    return sorted(found.values(), key=lambda item: (max(item.days, 0), item.record.end_date))


def feed_link(query: str | None, date_from: str | None, date_to: str | None, kind: str = "ics") -> str:
    """The /v1/schedules.ics (or .csv) URL with the filter shown on screen, relative to the page."""
    params = {key: value.strip() for key, value in (("q", query), ("from", date_from), ("to", date_to))
              if value and value.strip()}
    return f"v1/schedules.{kind}" + (f"?{urllib.parse.urlencode(params)}" if params else "")


def schedule_table(records: list[ScheduleRecord]) -> list[list[str]]:
    return [[r.when, r.start_date, r.end_date, r.what or r.source_text, r.doc_title, r.section] for r in records]


def document_table(documents: dict[str, dict], chunks: list[Chunk]) -> list[list[str]]:
    counts = Counter(c.doc_id for c in chunks)
    return [[d.get("title", ""), d.get("organization", ""), str(d.get("year", "")), str(counts[doc_id]), doc_id]
            for doc_id, d in documents.items()]


def document_sections(text: str, chunks: list[Chunk]) -> list[tuple[str, str]]:
    """(section path, text) in reading order: each section's text is the document's own span of its chunks.

    Neighbouring chunks overlap by a sentence, so the text is cut from the document rather than the quotes
    joined; a section that recurs further on (a contact line filed under the program it closes) gets its
    pieces joined by a marked gap.
    """
    pieces: dict[str, list[list[int]]] = {}
    previous: str | None = None
    for chunk in sorted(chunks, key=lambda c: (c.start, c.end)):
        spans = pieces.setdefault(chunk.section, [])
        if chunk.section == previous:  # what lies between two chunks of one section is that section's too
            spans[-1][1] = max(spans[-1][1], chunk.end)
        else:
            spans.append([chunk.start, chunk.end])
        previous = chunk.section
    return [(section, "\n…\n".join(text[start:end].strip("\n") for start, end in spans))
            for section, spans in pieces.items()]


ADMIN_DOCUMENT_HEADERS = ["제목", "기관", "연도", "청크 수", "ID", "파일", "상태"]


def admin_document_table(documents: dict[str, dict], chunks: list[Chunk],
                         manifest: dict[str, DocumentInfo]) -> list[list[str]]:
    """The served documents, then those the manifest lists that the index does not serve yet (being built, or
    skipped by the last build): what an admin can delete."""
    counts = Counter(c.doc_id for c in chunks)
    files = {info.id: info.file for info in manifest.values()}
    rows = [[d.get("title", ""), d.get("organization", ""), str(d.get("year", "")), str(counts[doc_id]), doc_id,
             files.get(doc_id) or Path(d.get("path", "")).name, "색인됨"]
            for doc_id, d in documents.items()]
    rows += [[info.title, info.organization, info.year, "", info.id, info.file, "색인 대기"]
             for info in manifest.values() if info.id not in documents]
    return rows


def deletable_choices(rows: list[list[str]]) -> list[tuple[str, str]]:
    """(label, doc id) for the delete dropdown, from ``admin_document_table`` rows."""
    return [(f"{row[0] or row[4]} ({row[4]})", row[4]) for row in rows]

"""Fact records in the formats staff already use: an iCalendar feed (RFC 5545) and CSV for spreadsheets.

The calendar is built with the ``icalendar`` library rather than by hand: line folding,
escaping of commas and semicolons, and UTF-8 octet counting are easy to get subtly wrong,
and a calendar client that fails to parse a feed shows nothing at all.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import icalendar

from assistant.facts.contacts import ContactRecord
from assistant.facts.schedules import ScheduleRecord

PRODUCT_ID = "-//plan-documents-assistant//schedules//KO"
UID_DOMAIN = "schedules.assistant.invalid"  # RFC 5545 wants UIDs globally unique: a domain-like suffix
# "10:00", "14:00~16:00", "14시", "14시 30분" after a day's date: the event then has times, as written
_TIME = re.compile(r"(오전|오후)?\s*(?<![\d:])([01]?\d|2[0-3])\s*(?::\s*([0-5]\d)|시(?:\s*([0-5]?\d)\s*분)?)(?![\d:])")
_TIME_RANGE_SEPARATOR = re.compile(r"^\s*[~∼〜\-–]\s*$")
TIMEZONE = "Asia/Seoul"


@dataclass(frozen=True)
class EventTimes:
    start: datetime.time
    end: datetime.time | None


def written_times(record: ScheduleRecord) -> EventTimes | None:
    """The clock time(s) the source line gives right after a single day's date, if any.

    Only one day with one time (or one time range) is read: a line listing several times
    ("1차 10:00, 2차 14:00") is ambiguous, and an all-day event is then the honest entry.
    """
    if record.precision != "day" or record.start_date != record.end_date:
        return None
    position = record.source_text.find(record.when)
    after = record.source_text[position + len(record.when):] if position >= 0 else ""
    times = list(_TIME.finditer(after))
    if not times or len(times) > 2:
        return None
    if len(times) == 2 and not _TIME_RANGE_SEPARATOR.match(after[times[0].end():times[1].start()]):
        return None
    start, end = (_clock(m) for m in times) if len(times) == 2 else (_clock(times[0]), None)
    if end is not None and end <= start:
        return None
    return EventTimes(start, end)


def _clock(match: re.Match[str]) -> datetime.time:
    hour = int(match.group(2))
    if match.group(1) == "오후" and hour < 12:  # 오후 2시 = 14:00
        hour += 12
    return datetime.time(hour, int(match.group(3) or match.group(4) or 0))


def schedule_uid(record: ScheduleRecord, ordinal: int = 0) -> str:
    """Stable across rebuilds while the item reads the same: document, date as written and the item's line.

    Offsets are left out on purpose: an edit elsewhere in the document moves them, and a
    subscribed calendar would then show every event twice (old UID and new).
    """
    key = "\x1f".join((record.doc_id, record.when, record.source_text, record.iso, str(ordinal)))
    return f"{hashlib.sha1(key.encode('utf-8')).hexdigest()[:24]}@{UID_DOMAIN}"


def schedule_uids(records: Iterable[ScheduleRecord]) -> list[str]:
    """One UID per record; two records with the same document, date and line get ordinals in document order."""
    seen: dict[str, int] = {}
    uids = []
    for record in records:
        base = schedule_uid(record)
        ordinal = seen.get(base, 0)
        seen[base] = ordinal + 1
        uids.append(base if ordinal == 0 else schedule_uid(record, ordinal))
    return uids


def schedules_ics(records: list[ScheduleRecord], documents: Mapping[str, Mapping], *, name: str = "계획 문서 일정",
                  stamp: datetime.datetime | None = None) -> bytes:
    """An iCalendar feed with one event per record.

    ``documents``: the index's document records (title, organization), for the summary and description.
    ``stamp``: DTSTAMP of every event (when the feed was made); defaults to now, in UTC.
    """
    stamp = stamp or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TIMEZONE)
    # in document order, so an item's ordinal (two identical lines) does not depend on the filter or the sort
    ordered = sorted(records, key=lambda r: (r.doc_id, r.start, r.end, r.when))
    for record, uid in zip(ordered, schedule_uids(ordered)):
        calendar.add_component(_event(record, uid, documents.get(record.doc_id, {}), stamp))
    return calendar.to_ical()


def _event(record: ScheduleRecord, uid: str, document: Mapping, stamp: datetime.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    start, end = datetime.date.fromisoformat(record.start_date), datetime.date.fromisoformat(record.end_date)
    times = written_times(record)
    if times is not None:
        event.add("dtstart", datetime.datetime.combine(start, times.start), parameters={"TZID": TIMEZONE})
        if times.end is not None:
            event.add("dtend", datetime.datetime.combine(start, times.end), parameters={"TZID": TIMEZONE})
    else:
        # all-day: DTEND is exclusive (RFC 5545 3.6.1), so a range 3.1~3.5 ends on 3.6
        event.add("dtstart", start)
        event.add("dtend", end + datetime.timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # an all-day deadline does not make a person busy all day
    event.add("summary", _summary(record, document))
    event.add("description", _description(record, document))
    organization = str(document.get("organization", "") or "")
    if organization:
        event.add("organizer", f"mailto:noreply@{UID_DOMAIN}", parameters={"CN": organization})
    event.add("categories", [c for c in (organization, _program(record)) if c] or ["일정"])
    return event


def _program(record: ScheduleRecord) -> str:
    return record.section.split(" > ")[-1] if record.section else ""


SUMMARY_WHAT_CHARS = 80  # a calendar shows one line; the whole source line is in the description


def _summary(record: ScheduleRecord, document: Mapping) -> str:
    what = record.what or _program(record) or "일정"
    if len(what) > SUMMARY_WHAT_CHARS:
        what = what[:SUMMARY_WHAT_CHARS - 1].rstrip() + "…"
    context = [part for part in (_program(record), str(document.get("organization", "") or "")) if part and part != what]
    return f"{what} ({' · '.join(context)})" if context else what


def _description(record: ScheduleRecord, document: Mapping) -> str:
    title = str(document.get("title", "") or record.doc_title)
    lines = [f"원문: {record.source_text}", f"출처: {title}"]
    if record.section:
        lines.append(f"위치: {record.section}")
    lines.append(f"날짜 표기: {record.when}" + (" (연도는 문서에서 추정)" if record.year_inferred else ""))
    return "\n".join(lines)


# -- CSV ----------------------------------------------------------------------------------------------------------

CONTACT_COLUMNS = ("기관", "부서", "사업", "직위", "이름", "전화", "문서", "위치", "원문")
SCHEDULE_COLUMNS = ("시작일", "종료일", "정밀도", "표기", "내용", "문서", "위치", "원문", "연도추정")


def contacts_csv(records: Iterable[ContactRecord]) -> bytes:
    rows = ([r.organization, r.department, r.program, r.role, r.name, r.phone, r.doc_title, r.section, r.source_text]
            for r in records)
    return _csv(CONTACT_COLUMNS, rows)


def schedules_csv(records: Iterable[ScheduleRecord]) -> bytes:
    rows = ([r.start_date, r.end_date, r.precision, r.when, r.what, r.doc_title, r.section, r.source_text,
             "예" if r.year_inferred else "아니오"] for r in records)
    return _csv(SCHEDULE_COLUMNS, rows)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe.

    Document text is untrusted; "=HYPERLINK(...)" in a source line must not become a live
    formula when staff open the export (CSV injection).  A phone or date such as
    "-" or "-1234" also starts with "-", and is shown with the apostrophe, which is harmless.
    """
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(columns: tuple[str, ...], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends, what Excel writes
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")  # BOM: Excel then reads UTF-8 Hangul

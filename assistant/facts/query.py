"""Looking records up: the one matcher the CLI, the HTTP API and the web UI share."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import TypeVar

from assistant.facts.contacts import ContactRecord
from assistant.facts.projects import ProjectRecord
from assistant.facts.schedules import ScheduleRecord

R = TypeVar("R")


def matching(records: Iterable[R], query: str | None, fields: Callable[[R], tuple[str, ...]]) -> list[R]:
    """Records whose fields contain the query, spaces ignored on both sides (이 성 호 = 이성호)."""
    records = list(records)
    wanted = (query or "").replace(" ", "")
    if not wanted:
        return records
    return [r for r in records if wanted in "".join(fields(r)).replace(" ", "")]


def find_contacts(records: Iterable[ContactRecord], query: str | None = None) -> list[ContactRecord]:
    return matching(records, query, lambda r: (r.program, r.department, r.organization, r.role, r.name, r.phone,
                                               r.section))


def find_projects(records: Iterable[ProjectRecord], query: str | None = None) -> list[ProjectRecord]:
    return matching(records, query, lambda r: (r.name, r.unit, r.purpose, r.section))


def find_schedules(
    records: Iterable[ScheduleRecord],
    query: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> list[ScheduleRecord]:
    """Dated items that overlap [date_from, date_to] and mention the query, sorted by date."""
    low = date_from.isoformat() if date_from else ""
    high = date_to.isoformat() if date_to else "9999"
    records = [r for r in records if r.end_date >= low and r.start_date <= high]
    found = matching(records, query, lambda r: (r.what, r.section))
    return sorted(found, key=lambda r: (r.start_date, r.end_date))

"""Looking records up: the one matcher the CLI, the HTTP API and the web UI share."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from assistant.facts.contacts import ContactRecord
from assistant.facts.projects import ProjectRecord
from assistant.facts.schedules import ScheduleRecord

R = TypeVar("R")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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


class DateRangeError(ValueError):
    """A bad bound of a date range: ``field`` is 'from' or 'to' (not a YYYY-MM-DD date), or 'order'."""

    def __init__(self, field: str, value: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


def parse_date_range(date_from: str | None, date_to: str | None) -> tuple[datetime.date | None, datetime.date | None]:
    """YYYY-MM-DD bounds (blank: open); DateRangeError names the bad one, or a range that ends before it starts."""
    bounds = []
    for name, value in (("from", date_from), ("to", date_to)):
        value = (value or "").strip()
        if not value:
            bounds.append(None)
            continue
        try:
            if not _ISO_DATE.fullmatch(value):  # fromisoformat alone would take 20240301 too
                raise ValueError
            bounds.append(datetime.date.fromisoformat(value))
        except ValueError:
            raise DateRangeError(name, value, f"'{name}' must be a real date written YYYY-MM-DD, not {value!r}") from None
    low, high = bounds
    if low and high and low > high:
        raise DateRangeError("order", f"{low}..{high}", f"'from' ({low}) is after 'to' ({high})")
    return low, high


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

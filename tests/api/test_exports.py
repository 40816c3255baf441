"""Deadlines and contacts where staff already work: the iCalendar feed and the CSV downloads, over HTTP.

The feed is parsed back with the ``icalendar`` library and every event is checked against
the JSON schedule records of the same server; UIDs are checked across two separate builds
of the index, one of them after a document gained a paragraph (every offset moved).
"""

from __future__ import annotations

import csv
import datetime
import io
import shutil

import httpx
import icalendar
import pytest
from conftest import CORPUS, ROOT

from assistant.facts.exports import schedules_ics, written_times
from assistant.facts.schedules import ScheduleRecord
from assistant.index import IndexStore, ingest
from assistant.settings import Settings


@pytest.fixture(scope="module")
def client(server_url):
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


def all_schedules(client: httpx.Client, **params) -> list[dict]:
    body = client.get("/v1/schedules", params={"limit": 1000, **params}).json()
    assert body["count"] <= 1000
    return body["records"]


def events_of(feed: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(feed)
    return list(calendar.walk("VEVENT"))


def event_days(event: icalendar.Event) -> tuple[datetime.date, datetime.date]:
    """First and last day an event covers (all-day DTEND is exclusive)."""
    start, end = event.decoded("dtstart"), event.decoded("dtend", None)
    if isinstance(start, datetime.datetime):
        return start.date(), (end or start).date()
    return start, end - datetime.timedelta(days=1)


def test_feed_has_one_event_per_dated_record_and_each_matches_its_record(client):
    records = all_schedules(client)
    response = client.get("/v1/schedules.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = events_of(response.content)
    assert len(records) > 100 and len(events) == len(records)
    unmatched: dict[tuple, list[dict]] = {}
    for record in records:
        key = (record["citation"]["text"], record["when"], record["start_date"], record["end_date"])
        unmatched.setdefault(key, []).append(record)
    for event in events:
        lines = str(event["description"]).split("\n")
        source_line = lines[0].removeprefix("원문: ")
        when = next(line for line in lines if line.startswith("날짜 표기: ")).removeprefix("날짜 표기: ")
        when = when.removesuffix(" (연도는 문서에서 추정)")
        first, last = event_days(event)
        candidates = unmatched.get((source_line, when, first.isoformat(), last.isoformat()), [])
        record = next((r for r in candidates if r["what"][:40] in str(event["summary"])), None)
        assert record is not None, (source_line, when, first, last, str(event["summary"]))
        candidates.remove(record)
        assert f"출처: {record['citation']['title']}" in lines
    assert not any(unmatched.values())
    assert len({str(e["uid"]) for e in events}) == len(events)


def test_a_range_is_one_multi_day_event(client):
    ranges = [r for r in all_schedules(client) if r["precision"] == "day" and r["start_date"] != r["end_date"]]
    assert ranges
    record = ranges[0]
    feed = client.get("/v1/schedules.ics", params={"from": record["start_date"], "to": record["end_date"],
                                                   "q": record["what"][:10]}).content
    spans = {event_days(e) for e in events_of(feed)}
    wanted = (datetime.date.fromisoformat(record["start_date"]), datetime.date.fromisoformat(record["end_date"]))
    assert wanted in spans


def test_feed_takes_the_same_filters_as_the_json_route(client):
    params = {"from": "2024-03-01", "to": "2024-06-30"}
    records = all_schedules(client, **params)
    events = events_of(client.get("/v1/schedules.ics", params=params).content)
    assert 0 < len(events) == len(records)
    bad = client.get("/v1/schedules.ics", params={"from": "2024-13-01"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "from"]


def test_uids_are_stable_across_builds_even_when_offsets_move(tmp_path):
    def build(corpus, name) -> list[ScheduleRecord]:
        index_dir = tmp_path / name
        ingest([corpus], Settings(index_dir=index_dir, cache_dir=ROOT / "index" / "cache"), lexical_only=True)
        return IndexStore(index_dir).schedules()

    def uids(records: list[ScheduleRecord]) -> dict[tuple, str]:
        events = events_of(schedules_ics(records, {}))
        return {(str(e["description"]).split("\n")[0], event_days(e)): str(e["uid"]) for e in events}

    first = uids(build(CORPUS, "first"))
    again = uids(build(CORPUS, "again"))
    assert first == again
    edited = tmp_path / "corpus"
    shutil.copytree(CORPUS, edited)
    target = next(p for p in edited.glob("*.txt"))
    target.write_text("머리말: 이 문단은 뒤의 모든 위치를 옮긴다.\n\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    moved = uids(build(edited, "edited"))
    shared = set(first) & set(moved)
    assert len(shared) >= 0.95 * len(first)
    assert all(first[key] == moved[key] for key in shared)


def record(when: str, line: str, start: str = "2024-03-05", end: str | None = None) -> ScheduleRecord:
    return ScheduleRecord(what="설명회", when=when, start_date=start, end_date=end or start, precision="day",
                          iso=start, year_inferred=False, doc_id="d", doc_title="문서", chunk_id="c",
                          section="사업 > 설명회", source_text=line, start=0, end=len(line))


def test_times_written_after_a_day_are_kept_and_ambiguous_ones_are_not():
    assert written_times(record("3. 5.", "3. 5. 14:00 사업설명회")).start == datetime.time(14, 0)
    both = written_times(record("3. 5.", "3. 5.(화) 14:00~16:30 사업설명회"))
    assert (both.start, both.end) == (datetime.time(14, 0), datetime.time(16, 30))
    assert written_times(record("3. 5.", "3. 5. 오후 2시 30분 설명회")).start == datetime.time(14, 30)
    assert written_times(record("3. 5.", "3. 5. 1차 10:00, 2차 14:00, 3차 16:00")) is None
    assert written_times(record("3. 5.", "3. 5. 설명회 (참석 10명)")) is None
    timed = events_of(schedules_ics([record("3. 5.", "3. 5. 14:00~16:30 사업설명회")], {}))[0]
    assert timed.decoded("dtstart") == datetime.datetime(2024, 3, 5, 14, 0, tzinfo=timed.decoded("dtstart").tzinfo)
    assert str(timed["dtstart"].params["TZID"]) == "Asia/Seoul"


def test_csv_downloads_open_in_a_spreadsheet_with_hangul(client):
    for path, key in (("/v1/contacts.csv", "contacts"), ("/v1/schedules.csv", "schedules")):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        json_count = client.get(f"/v1/{key}", params={"limit": 1000}).json()["count"]
        assert len(rows) - 1 == json_count
    filtered = client.get("/v1/contacts.csv", params={"q": "윤신희"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(filtered)))
    assert rows and all(row["이름"] == "윤신희" for row in rows) and "8073-8365" in rows[0]["전화"]


def test_csv_cells_that_look_like_formulas_stay_text():
    from assistant.facts.exports import schedules_csv

    line = '=HYPERLINK("http://evil.example","클릭")'
    text = schedules_csv([record("3. 5.", line)]).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[7] == "'" + line

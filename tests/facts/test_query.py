"""The record lookups the CLI, the HTTP API and the web UI share."""

import datetime

import pytest

from assistant.facts.query import DateRangeError, find_schedules, parse_date_range


def test_blank_bounds_are_open():
    assert parse_date_range(None, " ") == (None, None)
    assert parse_date_range(" 2024-02-29 ", "2024-03-31") == (datetime.date(2024, 2, 29), datetime.date(2024, 3, 31))


@pytest.mark.parametrize(("low", "high", "field"), [
    ("2024-13-01", None, "from"), ("2024-02-30", None, "from"), ("20240301", None, "from"),  # 3.11 would take it
    (None, "2024/03/01", "to"), (None, "내일", "to"), ("2024-05-01", "2024-04-01", "order"),
])
def test_bad_bounds_name_what_is_wrong(low, high, field):
    with pytest.raises(DateRangeError) as caught:
        parse_date_range(low, high)
    assert caught.value.field == field


def test_schedules_in_a_range_of_the_real_corpus_overlap_it_and_come_sorted(corpus_index):
    from assistant.index import IndexStore

    records = IndexStore(corpus_index).schedules()
    low, high = parse_date_range("2024-03-01", "2024-03-31")
    found = find_schedules(records, None, low, high)
    assert found, "the corpus plans things in March 2024"
    assert all(r.end_date >= "2024-03-01" and r.start_date <= "2024-03-31" for r in found)
    assert [(r.start_date, r.end_date) for r in found] == sorted((r.start_date, r.end_date) for r in found)
    assert len(find_schedules(records, "도시재생", low, high)) < len(found)

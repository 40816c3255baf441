"""Period questions answered from the schedule facts, relative to a configurable today."""

import datetime

import pytest

from assistant.answering.schedules import find_period
from assistant.service import Assistant
from assistant.settings import Settings

TODAY = datetime.date(2024, 2, 10)  # as if asked while the 2024 plans were current


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index, today=TODAY))


def test_periods_in_questions():
    assert find_period("다음 달 도시재생 일정 뭐 있어?", TODAY)[1:] == (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))
    assert find_period("올해 3월에 뭐 해?", TODAY)[1:] == (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))
    assert find_period("도시재생자문단 자문은 언제 해?", TODAY) is None  # asks for a date, not about a period
    assert find_period("2024년 예산 규모", TODAY) is None  # a year is a topic here


def test_next_month_items_of_a_topic_come_from_the_schedule_facts(assistant, corpus_texts):
    response = assistant.ask("다음 달 도시재생 일정 뭐 있어?")
    assert not response.abstained and response.intent == "schedule"
    assert "'24. 3. 사업 홍보" in response.answer
    for fact in response.facts:
        start, _, end = fact["iso"].partition("/")
        assert start[:7] <= "2024-03" <= (end or start)[:7]
    for citation in response.citations:
        assert citation.text in corpus_texts[citation.doc]


def test_a_period_with_nothing_planned_is_said_so(assistant):
    response = assistant.ask("다음 달 청소년 축제 일정 뭐 있어?")  # no festival in the plans
    assert response.abstained and "찾지 못했습니다" in response.answer

"""Answers to questions that carry no earlier turn's topic are kept per loaded index: the same question is answered
again without the pipeline, identically; a follow-up never comes from the cache; a reload starts afresh."""

import datetime

import pytest

from assistant.service import Assistant
from assistant.settings import Settings


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index, today=datetime.date(2024, 2, 15)))


def same(a, b) -> bool:
    return a.model_dump(exclude={"timing_ms"}) == b.model_dump(exclude={"timing_ms"})


def test_a_repeated_question_is_answered_from_the_cache_identically(assistant):
    assistant.forget_questions()
    question = "대전세종연구원 개원일이 언제야?"
    first = assistant.ask(question)
    hits = assistant.index.answers.hits
    again = assistant.ask(question)
    assert assistant.index.answers.hits == hits + 1 and again.timing_ms.get("cached") == 1.0
    assert "cached" not in first.timing_ms and same(first, again)
    assistant.forget_questions()
    computed = assistant.ask(question)
    assert "cached" not in computed.timing_ms and same(computed, first)


def test_changing_an_answer_does_not_change_the_cached_one(assistant):
    question = "고양시정연구원 학술행사 담당자 전화번호 알려줘"
    first = assistant.ask(question)
    expected = first.model_dump(exclude={"timing_ms"})
    first.answer = "바뀐 답"
    first.citations[0].text = "바뀐 인용"
    first.facts.append({"type": "changed"})
    again = assistant.ask(question)
    again.citations.clear()
    assert assistant.ask(question).model_dump(exclude={"timing_ms"}) == expected


def test_a_follow_up_is_not_answered_from_the_cache(assistant):
    assistant.forget_questions()
    assistant.ask("그럼 연락처는?")  # no earlier turn: cached, as a question that asks what is meant
    assistant.ask("고양시정연구원 경제자유구역센터는 무슨 일을 해?", session_id="cache-a")
    answer = assistant.ask("그럼 연락처는?", session_id="cache-a")
    assert "김리영" in answer.answer and "8073-8374" in answer.answer and "cached" not in answer.timing_ms


def test_a_question_that_is_no_follow_up_is_answered_from_the_cache_in_any_session(assistant):
    assistant.forget_questions()
    question = "대전세종연구원 개원일이 언제야?"
    alone = assistant.ask(question)
    assistant.ask("고양시정연구원 학술행사는 어떤 사업이야?", session_id="cache-c")
    in_session = assistant.ask(question, session_id="cache-c")  # names its own topic: the earlier turn is not used
    assert in_session.timing_ms.get("cached") == 1.0 and same(alone, in_session)
    assistant.forget_questions()
    assistant.ask("고양시정연구원 학술행사는 어떤 사업이야?", session_id="cache-d")
    computed = assistant.ask(question, session_id="cache-d")
    assert "cached" not in computed.timing_ms and same(alone, computed)


def test_a_cached_answer_still_starts_a_session(assistant):
    question = "고양시정연구원 경제자유구역센터는 무슨 일을 해?"
    assistant.ask(question)
    assert assistant.ask(question, session_id="cache-b").timing_ms.get("cached") == 1.0
    answer = assistant.ask("그럼 연락처는?", session_id="cache-b")  # the follow-up finds the cached answer's topic
    assert "김리영" in answer.answer and "8073-8374" in answer.answer


def test_top_k_and_today_are_part_of_the_question(assistant):
    question = "다음 달 일정 알려줘"
    assistant.ask(question)
    assert "cached" not in assistant.ask(question, top_k=12).timing_ms
    settings = assistant.settings
    try:
        assistant.settings = settings.model_copy(update={"today": datetime.date(2024, 5, 15)})
        later = assistant.ask(question)
        assert "cached" not in later.timing_ms
    finally:
        assistant.settings = settings
    assert assistant.ask(question).timing_ms.get("cached") == 1.0


def test_the_cache_is_bounded(assistant):
    cache = assistant.index.answers
    size = cache.size
    try:
        cache.size = 2
        for question in ("학술행사 예산", "학술행사 담당자", "학술행사 일정"):
            assistant.ask(question)
        assert len(cache) == 2
        assert "cached" not in assistant.ask("학술행사 예산").timing_ms  # the oldest went first
    finally:
        cache.size = size


def test_a_reload_empties_the_cache(assistant):
    question = "대전세종연구원 개원일이 언제야?"
    before = assistant.ask(question)
    assert len(assistant.index.answers) > 0
    assistant.reload()
    assert len(assistant.index.answers) == 0
    after = assistant.ask(question)
    assert "cached" not in after.timing_ms and same(before, after)


def test_answers_are_computed_a_slot_at_a_time_and_cached_ones_need_none(corpus_index):
    """ASSISTANT_ANSWER_SLOTS: at most that many answers computed at once, the others wait their turn (and say how
    long in timing_ms); an answer from the cache takes no slot, so it is never held up by the questions computing."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    one_slot = Assistant(Settings(index_dir=corpus_index, answer_slots=1))
    assert one_slot.answer_slots == 1
    assert Assistant(Settings(index_dir=corpus_index)).answer_slots >= 1  # 0: the cores
    computing, most = 0, 0
    lock = threading.Lock()
    compute = one_slot._answer

    def counted(*args, **kwargs):  # the real pipeline, with how many run at once counted
        nonlocal computing, most
        with lock:
            computing += 1
            most = max(most, computing)
        try:
            return compute(*args, **kwargs)
        finally:
            with lock:
                computing -= 1

    one_slot._answer = counted
    questions = ["대전세종연구원 개원일이 언제야?", "고양시정연구원 학술행사 담당자 전화번호 알려줘",
                 "대전 도시재생지원센터 처음 생긴게 언제야?", "고양시정연구원 학술행사 예산은?"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(one_slot.ask, questions))
    assert most == 1
    assert any("queued" in a.timing_ms for a in answers)

    with one_slot._computing:  # every slot taken: a cached answer still comes at once
        cached = ThreadPoolExecutor(1).submit(one_slot.ask, questions[0]).result(timeout=10)
    assert cached.timing_ms.get("cached") == 1.0 and "queued" not in cached.timing_ms

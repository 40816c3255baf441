"""A question is read by Kiwi once: the ``Question`` carries the reading, and no later stage runs Kiwi on it again."""

import pytest

from assistant.analysis import kiwi as kiwi_module
from assistant.analysis import tokenize
from assistant.question import analyze_question, focus_of
from assistant.retrieval.analyzer import AnalyzedText, analyze
from assistant.retrieval.decompose import split_two_sided
from assistant.service import Assistant
from assistant.settings import Settings


class CountingKiwi:
    """The process's Kiwi with its calls counted; what they return is untouched."""

    def __init__(self, kiwi) -> None:
        self._kiwi = kiwi
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, name):
        attribute = getattr(self._kiwi, name)
        if not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            self.calls.append((name, str(args[0]) if args else ""))
            return attribute(*args, **kwargs)
        return counted


@pytest.fixture
def kiwi(monkeypatch):
    counting = CountingKiwi(kiwi_module.get_kiwi())
    monkeypatch.setattr(kiwi_module, "get_kiwi", lambda: counting)
    AnalyzedText.forget()  # texts read by earlier tests would be answered from the cache, without Kiwi
    return counting


@pytest.mark.parametrize("text", [
    "고양시정연구원 학술행사 담당자 전화번호 알려줘", "도시재생지원센터담당자전화번호", "☎ 940 - 4230 누구 번호야",
    "2025년 학술행사 팀장 연락처", "   ",
])
def test_the_reading_is_what_kiwi_and_the_analyzer_give(text):
    analysed = AnalyzedText.of(text)
    assert [(t.form, t.tag, t.start, t.end) for t in analysed.tokens] == \
        [(t.form, t.tag, t.start, t.end) for t in tokenize(text)]
    assert list(analysed.terms) == analyze(text)  # phones with spaces are joined before the terms, as at ingest
    assert AnalyzedText.of(analysed) is analysed


def test_a_text_read_before_is_read_from_the_cache(kiwi):
    first = AnalyzedText.of("고양시정연구원 학술행사 담당자 전화번호 알려줘")
    assert len(kiwi.calls) == 1
    assert AnalyzedText.of("고양시정연구원 학술행사 담당자 전화번호 알려줘") is first and len(kiwi.calls) == 1
    assert AnalyzedText.of("고양시정연구원 학술행사 담당자 연락처 알려줘") is not first and len(kiwi.calls) == 2
    AnalyzedText.forget()
    again = AnalyzedText.of(first.text)  # read anew, to the same reading
    assert again is not first and len(kiwi.calls) == 3 and again.terms == first.terms
    assert [(t.form, t.tag, t.start) for t in again.tokens] == [(t.form, t.tag, t.start) for t in first.tokens]


def test_a_question_is_read_once(kiwi):
    question = analyze_question("고양시정연구원 학술행사 담당자 전화번호 알려줘")
    assert len(kiwi.calls) == 1
    assert question.analysed_query is question.analysed_text
    assert focus_of(question.query_analysis) == question.focus and len(kiwi.calls) == 1


def test_a_follow_up_reads_its_query_too_and_a_comparison_each_side(kiwi):
    said = AnalyzedText.of("그럼 연락처는?")
    follow_up = analyze_question(said, "학술행사 고양시정연구원 학술행사 그럼 연락처는?")
    assert follow_up.analysed_text is said and follow_up.query != follow_up.text
    assert len(kiwi.calls) == 2  # the question, then the query it is retrieved with
    kiwi.calls.clear()
    compared = analyze_question("고양시정연구원이랑 대전세종연구원 중에 어디가 먼저 개원했어?")
    assert [side.text for side in compared.side_analyses] == list(compared.sides) == \
        ["고양시정연구원", "대전세종연구원 중에 어디가 먼저 개원했어?"]
    assert len(kiwi.calls) == 3  # the question and its two sides, which retrieval searches on their own


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index))


@pytest.mark.parametrize("question", [
    "고양시정연구원 학술행사 담당자 전화번호 알려줘",  # contact records
    "대전 도시재생지원센터 처음 생긴게 언제야?",  # a date, checked against the evidence's dated lines
    "고양시정연구원이랑 대전세종연구원 중에 어디가 먼저 개원했어?",  # two sides
    "2030년 학술행사 예산은?",  # a year the documents lack: the neighbouring lines are composed
])
def test_answering_runs_kiwi_on_the_question_only_once(assistant, kiwi, question):
    texts = [question, *(split_two_sided(question) or ())]
    assistant.ask(question)  # document lines are read once per process (cached), and may equal a side
    assistant.forget_questions()  # the answer and the query embeddings: asked anew
    kiwi.calls.clear()
    assistant.ask(question)
    assert sorted(kiwi.calls) == sorted([(name, text) for text in texts for name in ("tokenize", "space")])
    kiwi.calls.clear()
    assistant.ask(question)
    assert kiwi.calls == []  # asked again: the answer cache


def test_a_question_asked_again_in_a_conversation_needs_no_kiwi(assistant, kiwi):
    """In a session with an earlier turn the question is read to tell a follow-up; asked again (a messenger's
    example button, a retry), that reading comes from the cache and the answer from the answer cache."""
    assistant.ask("고양시정연구원 학술행사 담당자 알려줘", session_id="kiwi-again")
    assistant.ask("대전 도시재생지원센터 처음 생긴게 언제야?", session_id="kiwi-again")
    kiwi.calls.clear()
    answer = assistant.ask("대전 도시재생지원센터 처음 생긴게 언제야?", session_id="kiwi-again")
    assert kiwi.calls == [] and answer.timing_ms.get("cached") == 1.0

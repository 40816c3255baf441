"""Contact questions answered from the contact records, with verbatim citations; no invented numbers."""

import pytest

from assistant.question.intent import Intent, classify
from assistant.service import Assistant, QuestionError
from assistant.settings import Settings


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index))


@pytest.mark.parametrize(("question", "intent"), [
    ("학술행사 담당자 전화번호 알려줘", Intent.CONTACT),
    ("대전세종연구원 개원일이 언제야?", Intent.SCHEDULE),
    ("2024년 예산 규모가 얼마예요", Intent.NUMBER),
    ("미래전략데이터센터는 무슨 사업을 해?", Intent.PROJECT),
    ("미션과 비전", Intent.GENERAL),
])
def test_intent(question, intent):
    assert classify(question) is intent


@pytest.mark.parametrize(("question", "name", "phone"), [
    ("고양시정연구원 학술행사 담당자 번호 알려줘", "노관령", "8073-8344"),
    ("경자구역센터 담당자 누구예요? 전화번호도요", "김리영", "8073-8374"),
    ("파주 협업 우수공무원 포상 담당 주무관 연락처", "지 장 월", "940 - 4054"),
    ("주민참여 민관협치 담당 팀장 번호", "이해원", "8075-2441"),
])
def test_contact_answers_quote_the_contact_line(assistant, corpus_texts, question, name, phone):
    response = assistant.ask(question)
    assert not response.abstained and response.intent == "contact"
    assert name in response.answer and phone in response.answer and "[1]" in response.answer
    first = response.citations[0]
    assert name in first.text and phone in first.text
    for citation in response.citations:
        assert citation.text in corpus_texts[citation.doc]  # verbatim


def test_a_program_without_a_contact_line_gets_no_phone_number(assistant):
    response = assistant.ask("대전도시재생지원센터 담당자 전화번호 알려줘")  # the Daejeon plan lists no phones
    assert response.abstained
    assert "찾지 못했습니다" in response.answer
    assert not any(ch.isdigit() for ch in response.answer)
    assert any("대전도시재생지원센터" in s for s in response.suggestions)


def test_role_in_the_question_picks_that_person(assistant):
    response = assistant.ask("시스템 고도화 업무 책임 부장이 누구고 번호는?")
    assert "윤신희" in response.answer and "8073-8365" in response.answer
    assert "정 혁" not in response.answer


@pytest.mark.parametrize("question", ["", "   ", "가" * 1001])
def test_empty_or_huge_questions_are_refused_clearly(assistant, question):
    with pytest.raises(QuestionError):
        assistant.ask(question)


@pytest.mark.parametrize("question", [
    "고양시정연구원 원장님 성함이 어떻게 되세요?",  # the plan counts a 원장 but never names one
    "고양 시정연구원 팩스번호 알려줘",  # no fax number anywhere
    "대전세종연구원 2031년 예산은 얼마야?",  # no such year
])
def test_questions_the_documents_cannot_answer_are_declined(assistant, question):
    response = assistant.ask(question)
    assert response.abstained and response.facts and response.facts[0]["type"] == "abstention"
    assert response.suggestions  # the nearest sections, as leads


@pytest.mark.parametrize(("question", "expected"), [
    ("대전세종연구원 개원일이 언제야?", "'01. 03. 14."),
    ("대전세종연구원 직원 정원 몇 명이야?", "정원\t72"),
    ("도시재생자문단 자문은 언제 해?", "'24. 3.~11."),
])
def test_answerable_questions_are_answered_with_the_written_value(assistant, question, expected):
    response = assistant.ask(question)
    assert not response.abstained and expected in response.answer

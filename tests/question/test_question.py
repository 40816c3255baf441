"""Question analysis: the same analysis however the question is spaced, phrased or misspelled."""

import pytest

from assistant.question import AnswerType, analyze_question

VARIANTS = [
    (AnswerType.COUNT, ["연구원 정원 몇 명이야?", "연구원정원몇명이야", "연구원 정원은 몇 명인가요?", "연구원 정원 몇명임"]),
    (AnswerType.AMOUNT, ["공원 연구 예산 얼마야?", "공원연구예산얼마", "공원 연구의 예산은 얼마입니까?"]),
    (AnswerType.DATE, ["도시재생지원센터 언제 생겼어?", "도시재생지원센터언제생겼어", "도시재생지원센터는 언제 설립되었나요?"]),
    (AnswerType.PERIOD, ["자문단 모집 기간이 어떻게 돼?", "자문단모집기간", "자문단 모집은 언제까지야"]),
    (AnswerType.PERSON, ["뷰티산업 연구 책임자 누구야?", "뷰티산업연구책임자누구", "뷰티산업 연구 누가 맡았어요?"]),
    (AnswerType.CONTACT, ["학술행사 담당자 전화번호 알려줘", "학술행사담당자전화번호", "학술행사 문의는 어디로 연락해요?"]),
    (AnswerType.ORGANIZATION, ["분권포럼 주관 부서 어디야", "분권포럼주관부서", "분권포럼은 어느 부서가 해요?"]),
    (AnswerType.PERCENT, ["재정자립도 비율 몇 퍼센트야?", "재정자립도 몇%", "재정자립도비율"]),
    (AnswerType.PLACE, ["교육 장소 어디서 열려?", "교육장소어디서열려", "연구원 주소 알려줘"]),
    (AnswerType.LIST, ["올해 의식조사 뭐뭐 해?", "올해의식조사뭐뭐해", "의식조사 종류 다 알려줘"]),
    (AnswerType.COMPARISON, ["고양이랑 대전 중에 어디가 먼저 열었어?", "정원이 더 많은 곳은?", "두 센터 예산 차이"]),
    (AnswerType.DESCRIPTION, ["탄소중립센터는 무슨 일을 해?", "탄소중립센터하는일", "탄소중립센터의 목적은 무엇인가요"]),
]


@pytest.mark.parametrize(("expected", "questions"), VARIANTS, ids=[v[0].value for v in VARIANTS])
def test_spacing_and_register_do_not_change_the_type(expected, questions):
    for question in questions:
        assert analyze_question(question).answer_type is expected, question


def test_the_focus_names_the_topic_not_the_asking():
    spaced = analyze_question("대전 도시재생지원센터 처음 생긴게 언제야?")
    joined = analyze_question("대전도시재생지원센터처음생긴게언제야")
    polite = analyze_question("대전 도시재생지원센터는 처음에 언제 생겼나요?")
    assert {"대전"} <= spaced.focus
    assert not spaced.focus & {"언제", "몇", "누구"}
    # whatever Kiwi does with spacing, the focus words are found in the same squashed text
    for question in (joined, polite):
        assert "".join(sorted(question.focus)) and all(term in "대전도시재생지원센터처음" for term in question.focus)


def test_a_typo_keeps_the_type_and_the_focus_words():
    right = analyze_question("탄소중립지원센터 예산 얼마야?")
    typo = analyze_question("탄소중립지원센타 예산 얼마에요?")
    assert right.answer_type is typo.answer_type is AnswerType.AMOUNT
    assert {"탄소", "중립"} <= right.focus & typo.focus


def test_constraints_year_role_sides_counter():
    question = analyze_question("2025년 학술행사 팀장 연락처")
    assert question.years == ("2025",)
    assert question.role == "팀장"
    short_year = analyze_question("'24년 예산은?")
    assert short_year.years == ("2024",)
    compared = analyze_question("고양시정연구원이랑 대전세종연구원 중에 어디가 먼저 개원했어?")
    assert compared.answer_type is AnswerType.COMPARISON
    assert compared.compared is AnswerType.DATE
    assert len(compared.sides) == 2
    assert analyze_question("위원 몇 명이야?").counter == "명"
    assert analyze_question("과제 몇 건이야?").counter == "건"
    assert analyze_question("주민참여위원회 전체 인원이 어떻게 돼?").counter == "명"  # a headcount is in 명

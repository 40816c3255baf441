"""Comparison questions from the way people ask them split into one query per side."""

import pytest

from assistant.retrieval.decompose import split_two_sided


@pytest.mark.parametrize(("question", "sides"), [
    ("고양시 주민참여위원회 전체 인원이랑 파주 지속가능발전위원회 구성 인원 중에 어디가 더 커?",
     ("고양시 주민참여위원회 전체 인원", "파주 지속가능발전위원회 구성 인원 중에 어디가 더 커?")),
    ("탄소중립지원센터 고양시정연구원 쪽이랑 대전 쪽 중에 어디가 먼저 운영 시작했어요?",
     ("탄소중립지원센터 고양시정연구원 쪽", "대전 쪽 중에 어디가 먼저 운영 시작했어요?")),
    ("대전세종硏 2024년 예산하고 파주시정연구원 계획 예산 규모 비교하면?",
     ("대전세종硏 2024년 예산", "파주시정연구원 계획 예산 규모 비교하면?")),
    ("고양시정연구원 vs 대전세종연구원 정원 차이", ("고양시정연구원", "대전세종연구원 정원 차이")),
])
def test_comparisons_split_at_the_connector(question, sides):
    assert split_two_sided(question) == sides


@pytest.mark.parametrize("question", [
    "학술행사 담당자 전화번호 알려줘",  # no comparison
    "부장이랑 팀장 연락처 알려줘",  # two roles of one program, no comparison cue
    "연구 성과와 결과 비교",  # 와/과 end too many nouns to be trusted as connectors
    "랑 중에",
])
def test_other_questions_are_left_whole(question):
    assert split_two_sided(question) is None

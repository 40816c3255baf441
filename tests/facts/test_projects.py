"""Program records from the real corpus: name, owning unit, period as written, purpose line."""

import pytest

from assistant.facts import extract_projects


@pytest.fixture(scope="module")
def projects(corpus_chunks):
    return {(p.doc_id, p.name): p for chunks in corpus_chunks.values() for p in extract_projects(chunks)}


@pytest.mark.parametrize(("doc", "name", "unit", "period", "purpose"), [
    ("daejeon-sejong-2024", "도시재생자문단", "대전도시재생지원센터", "'24. 1.~2.", "대전지역의 지속 가능한 도시재생사업"),
    ("daejeon-sejong-2024", "통계로 보는 대전여성가족의 삶", "대전여성가족정책센터", "2024. 2월~3월", ""),
    ("goyang-institute-2024", "경제자유구역센터 운영", "고양시정연구원", "2023.3.22.", "민선8기 핵심공약인 경제자유구역"),
    ("goyang-institute-2024", "연구사업 수행", "고양시정연구원", "", "고양특례시 시정 전반에 대한"),
])
def test_known_programs(projects, doc, name, unit, period, purpose):
    record = projects[(doc, name)]
    assert record.unit == unit
    if period:
        assert record.period == period
    assert record.purpose.startswith(purpose)
    assert not record.purpose.startswith(("③", "목적")), record.purpose


def test_plan_parts_are_not_programs(projects):
    names = {name for _, name in projects}
    assert not any("여건분석" in n or "주요성과" in n or "추진 계획" in n for n in names)
    assert len(projects) >= 40

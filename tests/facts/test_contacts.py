"""Contact records from the real corpus, checked against the documents line by line."""

from collections import Counter

import pytest

from assistant.facts import extract_contacts

# (document, program the contact serves, role, name, phone as written) — read off the documents
EXPECTED = [
    ("goyang-institute-2024", "연구사업 수행", "부장", "윤신희", "8073-8365"),
    ("goyang-institute-2024", "연구사업 수행", "팀장", "백주현", "8073-8375"),
    ("goyang-institute-2024", "연구사업 수행", "담당", "김유진", "8073-8312"),
    ("goyang-institute-2024", "연구성과 공유 및 확산 | [학술행사]", "담당", "노관령", "8073-8344"),
    ("goyang-institute-2024", "연구성과 공유 및 확산 II [교류협력]", "담당", "노관령", "8073-8344"),
    ("goyang-institute-2024", "연구성과 공유 및 확산 III [참여확대]", "팀장", "백주현", "8073-8375"),
    ("goyang-institute-2024", "연구원 청사 환경개선", "팀장대행", "이상훈", "8073-8348"),
    ("goyang-institute-2024", "연구원 청사 환경개선", "담당", "윤성희", "8073-8347"),
    ("goyang-institute-2024", "시스템 고도화를 통한 운영 효율화", "부장", "윤신희", "8073-8365"),
    ("goyang-institute-2024", "시스템 고도화를 통한 운영 효율화", "담당", "정 혁", "8073-8317"),
    ("goyang-institute-2024", "미래전략데이터센터 운영", "센터장", "김용덕", "8073-8319"),
    ("goyang-institute-2024", "경제자유구역센터 운영", "담당", "김리영", "8073-8374"),
    ("goyang-institute-2024", "고양시 탄소중립지원센터 운영", "담당", "임지열", "8073-8373"),
    ("goyang-governance-pledge-2021", "주민참여를 기반으로 하는 민관협치 추진", "과장", "한창익", "8075-2440"),
    ("goyang-governance-pledge-2021", "주민참여를 기반으로 하는 민관협치 추진", "장장", "이해원", "8075-2441"),
    ("goyang-governance-pledge-2021", "주민참여를 기반으로 하는 민관협치 추진", "담당자", "김윤경", "8075-2445"),
    ("paju-future-strategy-2023", "민선 8기 2주년 시정백서 제작", "과장", "이 성 호", "940 - 4230"),
    ("paju-future-strategy-2023", "민선 8기 2주년 시정백서 제작", "팀장", "이 창 훈", "940 - 4058"),
    ("paju-future-strategy-2023", "민선 8기 2주년 시정백서 제작", "팀장", "정지선", "940 - 2958"),
    ("paju-future-strategy-2023", "민선 8기 2주년 시정백서 제작", "주무관", "이 은 지", "940 - 4053"),
    ("paju-future-strategy-2023", "민선 8기 2주년 시정백서 제작", "주무관", "방 성 국", "940 - 2956"),
    ("paju-future-strategy-2023", "민선 8기 2주년 시정백서 제작", "주무관", "민 정 원", "940 - 2953"),
    ("paju-future-strategy-2023", "협업 활성화", "과장", "이 성 호", "940 - 4230"),
    ("paju-future-strategy-2023", "협업 활성화", "팀장", "이 창 훈", "940 - 4058"),
    ("paju-future-strategy-2023", "협업 활성화", "주무관", "지 장 월", "940 - 4054"),
    ("paju-future-strategy-2023", "향후계획", "과장", "이 성호", "940 - 4230"),
    ("paju-future-strategy-2023", "향후계획", "팀장", "이 선주", "940 - 5638"),
    ("paju-future-strategy-2023", "향후계획", "주무관", "김문정", "940 - 5633"),
    ("paju-future-strategy-2023", "파주형 지속가능발전SDGs 기반 시정 추진", "팀장", "정지선", "940 - 2958"),
    ("paju-future-strategy-2023", "파주형 지속가능발전SDGs 기반 시정 추진", "", "마주형", "940 - 2957"),  # no role cell
    ("paju-future-strategy-2023", "파주형 지속가능발전SDGs 기반 시정 추진", "", "김상수", "940 - 2954"),
    ("paju-future-strategy-2023", "파주형 지속가능발전SDGs 기반 시정 추진", "주무관", "이정훈", "940 - 2955"),
    ("paju-future-strategy-2023", "파주형 지속가능발전SDGs 기반 시정 추진", "", "김나연", "940 - 2949"),
]


@pytest.fixture(scope="module")
def records(corpus_chunks):
    return [r for chunks in corpus_chunks.values() for r in extract_contacts(chunks)]


def test_counts_per_document(records):
    assert Counter(r.doc_id for r in records) == {
        "goyang-institute-2024": 21, "goyang-governance-pledge-2021": 3, "paju-future-strategy-2023": 20}


@pytest.mark.parametrize(("doc", "program", "role", "name", "phone"), EXPECTED)
def test_record_matches_the_document(records, corpus_documents, doc, program, role, name, phone):
    matches = [r for r in records if r.doc_id == doc and r.program == program and r.name_as_written == name]
    assert len(matches) == 1, [(r.program, r.name_as_written) for r in records if r.doc_id == doc]
    record = matches[0]
    assert (record.role, record.phone_as_written, record.phone) == (role, phone, phone.replace(" ", ""))
    assert record.name == name.replace(" ", "")
    text = corpus_documents[doc].text
    assert text[record.start:record.end] == record.source_text  # the exact line it came from
    assert name in record.source_text and phone in record.source_text


def test_departments_from_the_tables(records):
    assert {r.department for r in records if r.doc_id == "paju-future-strategy-2023"} == {"미래전략관"}
    assert {r.department for r in records if r.doc_id == "goyang-governance-pledge-2021"} == {"주민자치과"}

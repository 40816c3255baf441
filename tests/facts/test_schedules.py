"""Schedule records from the real corpus: dates normalized, years inferred from the headings."""

import pytest

from assistant.facts import extract_schedules


@pytest.fixture(scope="module")
def records(corpus_documents, corpus_chunks):
    years = {doc_id: doc.year for doc_id, doc in corpus_documents.items()}
    return [r for chunks in corpus_chunks.values() for r in extract_schedules(chunks, years)]


def find(records, doc, when, what):
    matches = [r for r in records if r.doc_id == doc and r.when == when and what in r.source_text]
    assert matches, (doc, when, what)
    return matches[0]


@pytest.mark.parametrize(("doc", "when", "what", "iso", "inferred"), [
    ("daejeon-sejong-2024", "'24. 3.~11.", "자문 실시", "2024-03-01/2024-11-30", False),
    ("daejeon-sejong-2024", "'24. 1.~2.", "전문가 자문단 모집", "2024-01-01/2024-02-29", False),
    ("daejeon-sejong-2024", "'15. 06. 24.", "대전도시재생지원센터 신설", "2015-06-24", False),
    ("daejeon-sejong-2024", "3.9.", "성별영향평가 실무담당자 워크숍", "2023-03-09", True),  # a 2023 results table
    ("daejeon-sejong-2024", "03-31", "공사공단 기관장 경영성과 평가지표개선", "2023-03-31", True),
    ("goyang-institute-2024", "'23. 8. 8.", "보고서 개조식 작성 개편", "2023-08-08", False),
    ("goyang-institute-2024", "2024년 3월", "대외경제연구원", "2024-03", False),
    ("goyang-governance-pledge-2021", "2020. 11. 11. ~ 11. 30.", "모집기간", "2020-11-11/2020-11-30", False),
    ("paju-future-strategy-2023", "2023. 2. 20.", "지방자치단체 혁신평가", "2023-02-20", False),
])
def test_real_schedule_lines(records, doc, when, what, iso, inferred):
    record = find(records, doc, when, what)
    assert (record.iso, record.year_inferred) == (iso, inferred)


def test_every_record_quotes_its_line(records, corpus_documents):
    assert len(records) > 500
    for record in records:
        text = corpus_documents[record.doc_id].text
        assert text[record.start:record.end] == record.source_text
        assert record.when in record.source_text and record.start_date <= record.end_date

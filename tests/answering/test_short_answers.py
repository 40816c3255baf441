"""Short answers through the whole service: a table cell read as a sentence, composed lines within the
body limit, an abstention that shows the nearest thing the documents do say, and the evidence to highlight."""

import re

import pytest

from assistant.service import Assistant
from assistant.settings import Settings

MARKERS = re.compile(r"\s*\[\d+\]")


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index))


def body(answer: str) -> str:
    return MARKERS.sub("", answer).strip()


def test_a_table_cell_answers_in_one_sentence(assistant, corpus_texts):
    response = assistant.ask("하이테크 뷰티산업 키우는 방안 연구 책임연구원 누구였어?")
    assert body(response.answer) == "대전 하이테크 뷰티산업 육성방안 연구의 연구책임자는 김은영입니다"
    assert response.answer_type == "person"
    [evidence] = response.evidence
    assert evidence.text == "김은영"
    assert corpus_texts[evidence.doc][evidence.start:evidence.end] == "김은영"


def test_other_answers_are_lines_within_the_body_limit(assistant, corpus_texts):
    response = assistant.ask("대전 도시재생 자문단 자문은 언제 해?")
    assert not response.abstained
    assert len(body(response.answer)) <= 200
    assert "'24. 3.~11." in response.answer
    for evidence in response.evidence:
        assert evidence.text in response.answer
        assert corpus_texts[evidence.doc][evidence.start:evidence.end] == evidence.text


def test_a_year_the_documents_do_not_cover_is_said_so_with_a_cited_neighbour(assistant):
    response = assistant.ask("고양시정연구원 2030년 학술행사 언제 해?")
    assert response.abstained
    assert response.answer.startswith("문서에는 2030년 내용이 나와 있지 않습니다. 가까운 내용: ")
    assert response.citations and "[1]" in response.answer
    assert "2030" not in "".join(c.text for c in response.citations)  # the year is the asker's, not the source's
    assert response.facts[0]["neighbour"] is True


def test_an_organisation_name_alone_identifies_no_table_row(assistant):
    """"대전세종연구원 예산" must not be read off a row that merely mentions 대전세종연구원."""
    response = assistant.ask("대전세종연구원 예산 얼마야?")
    assert not body(response.answer).endswith("입니다")  # no cell was read as the answer

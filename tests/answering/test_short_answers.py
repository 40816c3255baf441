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
        assert re.sub(r"^[-○□■·•▪\s]+", "", evidence.text) in response.answer  # the line, less its bullet
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


def test_a_value_in_a_sub_item_leads_the_answer_with_the_item_it_belongs_to(assistant, corpus_texts):
    response = assistant.ask("주민자치회 위원 위촉장 수여식 때 선정된 인원은 몇 명이었어?")
    first = response.answer.split("\n")[0]
    assert "1,026명" in first and "위촉장 수여식" in first  # the value, and whose value it is
    assert len(body(response.answer)) <= 200
    lead = response.evidence[0]
    assert lead.text.endswith("1,026명")
    assert corpus_texts[lead.doc][lead.start:lead.end] == lead.text


def test_merging_the_lead_and_the_lines_keeps_one_numbering_and_the_body_limit():
    from assistant.answering.models import AnswerResponse, Citation, Evidence
    from assistant.answering.render import lead_with

    def cite(n, chunk):
        return Citation(n=n, doc="d", title="t", section="s", text=f"quote {chunk}", score=1.0, chunk_id=chunk,
                        start=0, end=7)

    lead = AnswerResponse(answer="값: 72명 [1]", citations=[cite(1, "b")],
                          evidence=[Evidence(n=1, doc="d", start=0, end=5, text="정원 72")])
    rest = AnswerResponse(
        answer="첫 줄 [1]\n정원 72 [2]\n" + "긴 줄 " * 60 + "[1]",
        citations=[cite(1, "a"), cite(2, "b")],
        evidence=[Evidence(n=1, doc="d", start=0, end=3, text="첫 줄"), Evidence(n=2, doc="d", start=0, end=5, text="정원 72"),
                  Evidence(n=1, doc="d", start=0, end=6, text="긴 줄 " * 60)],
    )
    merged = lead_with(lead, rest)
    assert merged.answer == "값: 72명 [1]\n첫 줄 [2]"  # chunk b keeps the lead's [1]; its repeated line and the long one go
    assert [(c.n, c.chunk_id) for c in merged.citations] == [(1, "b"), (2, "a")]
    assert [(e.n, e.text) for e in merged.evidence] == [(1, "정원 72"), (2, "첫 줄")]


def test_another_programs_contacts_are_no_answer(assistant):
    """A phone number for something the documents hold no contact of: not the nearest program's contacts."""
    response = assistant.ask("고양도시공사 청렴신고센터 신고 전화번호 좀 알려주세요")
    assert response.abstained
    assert "☎" not in response.answer


def test_a_program_named_in_the_question_keeps_its_contacts(assistant):
    response = assistant.ask("협업우수공무원 포상 담당 주무관 이름이랑 번호")
    assert not response.abstained and "940 - 4054" in response.answer


def test_the_command_line_prints_the_answer_then_each_source_with_its_evidence(corpus_index, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(corpus_index), "ASSISTANT_CACHE_DIR": str(tmp_path),
           "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "하이테크 뷰티산업 키우는 방안 연구 책임연구원 누구였어?"],
                          capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "대전 하이테크 뷰티산업 육성방안 연구의 연구책임자는 김은영입니다 [1]"
    assert lines[1].startswith("[1] 2024년도 대전세종연구원 사업계획")
    assert lines[2].strip() == "▶ 김은영"
    assert "세종호수공원" not in done.stdout  # the rest of the table is behind --quotes

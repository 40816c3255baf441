"""Chunking the real corpus: every quote is exact, no row or contact is cut, contacts land in their section."""

import re

import pytest

from assistant.chunking import ChunkKind
from assistant.ingest import BlockKind

DOC_IDS = {
    "goyang-institute-2024",
    "daejeon-sejong-2024",
    "paju-future-strategy-2023",
    "goyang-urban-innovation-2021",
    "goyang-governance-pledge-2021",
}


def test_every_document_is_chunked_and_quotes_are_exact(corpus_documents, corpus_chunks):
    assert set(corpus_chunks) == DOC_IDS
    for doc_id, chunks in corpus_chunks.items():
        doc = corpus_documents[doc_id]
        assert len(chunks) >= 20, doc_id
        for chunk in chunks:
            assert doc.text[chunk.start:chunk.end] == chunk.quote
            assert chunk.quote.strip() and chunk.search_text.strip()
        assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_chunks_respect_the_token_budget(corpus_chunks):
    for chunks in corpus_chunks.values():
        prose = [c for c in chunks if c.kind is ChunkKind.PROSE]
        # only a single sentence or row longer than the budget may exceed it
        assert all(c.n_tokens <= 380 or "\n" not in c.quote.strip() for c in prose)


def test_no_chunk_cuts_a_table_row_or_a_contact(corpus_documents, corpus_chunks):
    cut = []
    for doc_id, doc in corpus_documents.items():
        boundaries = sorted({c.start for c in corpus_chunks[doc_id]} | {c.end for c in corpus_chunks[doc_id]})
        spans = []
        for block in doc.blocks:
            if block.kind is BlockKind.CONTACT:
                spans.append((block.start, block.end, block.text))
            elif block.kind is BlockKind.TABLE:
                spans.extend((row.start, row.end, doc.text[row.start:row.end]) for row in block.rows)
        for start, end, text in spans:
            if any(start < b < end for b in boundaries):
                cut.append((doc_id, text[:60]))
    assert spans and not cut


def test_table_chunks_name_their_columns(corpus_chunks):
    chunks = corpus_chunks["daejeon-sejong-2024"]
    budget = next(c for c in chunks if "영업수익" in c.quote and c.kind is ChunkKind.TABLE)
    assert "세입: 영업수익" in budget.search_text.replace("\t", " ") or "영업수익" in budget.search_text
    awards = next(c for c in corpus_chunks["paju-future-strategy-2023"] if "거버넌스지방정치대상" in c.quote)
    assert "수상일: 2023. 5. 24" in awards.search_text


# Each contact line of the corpus (a unique piece of it), and the title of the section it closes.
CONTACT_SECTIONS = [
    ("goyang-institute-2024", "담당: 김유진 ☎ 8073-8312", "연구사업 수행"),
    ("goyang-institute-2024", "팀장: 백주현 ☎ 8073-8375 | 담당: 김유진", "연구사업 수행"),
    ("goyang-institute-2024", "담당: 윤성희 ☎ 8073-8347", "연구원 청사 환경개선"),
    ("goyang-institute-2024", "담당: 정 혁 ☎ 8073-8317", "시스템 고도화를 통한 운영 효율화"),
    ("goyang-institute-2024", "센터장: 김용덕 ☎ 8073-8319", "미래전략데이터센터 운영"),
    ("goyang-institute-2024", "담당: 김리영 ☎ 8073-8374", "경제자유구역센터 운영"),
    ("goyang-institute-2024", "담당: 임지열 ☎ 8073-8373", "고양시 탄소중립지원센터 운영"),
    ("goyang-governance-pledge-2021", "한창익 이해원 김윤경", "주민참여를 기반으로 하는 민관협치 추진"),
    ("goyang-governance-pledge-2021", "8075-2440 8075-2441 8075-2445", "주민참여를 기반으로 하는 민관협치 추진"),
    ("paju-future-strategy-2023", "이 창 훈 정지선\t☎ 940 - 4058 ☎ 940 - 2958", "민선 8기 2주년 시정백서 제작"),
    ("paju-future-strategy-2023", "이 은 지 방 성 국 민 정 원", "민선 8기 2주년 시정백서 제작"),
    ("paju-future-strategy-2023", "☎ 940 - 4053 ☎ 940 - 2956 ☎ 940 - 2953", "민선 8기 2주년 시정백서 제작"),
    ("paju-future-strategy-2023", "지 장 월\t☎ 940 - 4054", "협업 활성화"),
    ("paju-future-strategy-2023", "이 선주\t☎ 940 - 5638", "향후계획"),
    ("paju-future-strategy-2023", "김문정\t☎ 940 - 5633", "향후계획"),
    ("paju-future-strategy-2023", "정지선\t☎ 940 - 2958\n", "파주형 지속가능발전SDGs 기반 시정 추진"),
    ("paju-future-strategy-2023", "마주형\t☎ 940 - 2957", "파주형 지속가능발전SDGs 기반 시정 추진"),
    ("paju-future-strategy-2023", "방성국\t☎ 940 - 2956", "파주형 지속가능발전SDGs 기반 시정 추진"),
    ("paju-future-strategy-2023", "김상수\t☎ 940 - 2954", "파주형 지속가능발전SDGs 기반 시정 추진"),
    ("paju-future-strategy-2023", "이정훈\t☎ 940 - 2955", "파주형 지속가능발전SDGs 기반 시정 추진"),
    ("paju-future-strategy-2023", "강민구\t☎ 940 - 2947", "파주형 지속가능발전SDGs 기반 시정 추진"),
    ("paju-future-strategy-2023", "김나연\t☎ 940 - 2949", "파주형 지속가능발전SDGs 기반 시정 추진"),
]


@pytest.mark.parametrize(("doc_id", "line", "section"), CONTACT_SECTIONS)
def test_contact_line_lands_in_the_section_it_closes(corpus_chunks, doc_id, line, section):
    holding = [c for c in corpus_chunks[doc_id] if line in c.quote]
    assert len(holding) == 1, f"{line!r} is in {len(holding)} chunks"
    chunk = holding[0]
    assert chunk.kind is ChunkKind.CONTACT
    assert chunk.section_path[-1] == section


def test_the_same_contact_line_in_three_programs_goes_to_each_program(corpus_chunks):
    line = "연락처 부장: 윤신희 ☎ 8073-8365 팀장: 백주현 ☎ 8073-8375 담당: 노관령 ☎ 8073-8344"
    sections = [c.section_path[-1] for c in corpus_chunks["goyang-institute-2024"] if c.quote == line]
    assert sections == [
        "연구성과 공유 및 확산 | [학술행사]",
        "연구성과 공유 및 확산 II [교류협력]",
        "연구성과 공유 및 확산 III [참여확대]",
    ]


def test_every_phone_number_of_the_corpus_is_in_a_contact_chunk(corpus_documents, corpus_chunks):
    """No contact line is left as prose: each ☎ number sits in a contact chunk."""
    for doc_id, doc in corpus_documents.items():
        contact_text = "".join(c.quote for c in corpus_chunks[doc_id] if c.kind is ChunkKind.CONTACT)
        for match in re.finditer(r"☎ *\d{3,4}(?: *- *\d{4})?", doc.text):
            assert match.group(0).strip() in contact_text, (doc_id, match.group(0))


def test_contact_search_text_joins_spaced_names_and_numbers(corpus_chunks):
    chunk = next(c for c in corpus_chunks["paju-future-strategy-2023"] if "지 장 월" in c.quote)
    assert "지장월" in chunk.search_text and "940-4054" in chunk.search_text and "이성호" in chunk.search_text
    program = next(c for c in corpus_chunks["paju-future-strategy-2023"] if "이 선주" in c.quote)
    assert "공모사업" in program.search_text  # the untitled program's purpose line travels with its contact


def test_section_paths_carry_the_department(corpus_chunks):
    chunk = next(c for c in corpus_chunks["daejeon-sejong-2024"] if "전문가 자문단 모집 및 구축(30명)" in c.quote)
    assert chunk.section_path[:2] == ["부서별 주요업무계획", "대전도시재생지원센터"]
    assert chunk.section_path[-2:] == ["도시재생자문단", "추진 계획"]


def test_the_table_of_contents_is_not_indexed(corpus_chunks):
    """The Daejeon plan opens with a table of contents; its lines are headings, not evidence."""
    assert not any("설립목적 및 주요업무\t3" in c.quote for c in corpus_chunks["daejeon-sejong-2024"])

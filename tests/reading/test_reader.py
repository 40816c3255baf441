"""The reader on real text of the corpus: table cells where a row meets a column, typed spans, verdicts."""

import datetime

import pytest

from assistant.answering.models import Citation
from assistant.answering.render import compare_verdict, has_final_consonant, topic_particle
from assistant.answering.short import read_answer
from assistant.chunking import ChunkKind
from assistant.question import AnswerType, analyze_question
from assistant.reading import UnitKind, find_spans, units_of
from assistant.reading.spans import Span
from assistant.reading.vocabulary import TermWeights
from assistant.retrieval import Hit

# (document, question, the cell that answers it): the row named in other words, the column by what is asked
CELLS = [
    ("daejeon-sejong-2024", "2040년 세종도시기본계획 수립 용역 연구책임자 누구야?", "지남석"),
    ("daejeon-sejong-2024", "2040 세종도시기본계획 수립 용역은 어디서 발주했어?", "세종시"),
    ("daejeon-sejong-2024", "대전 반려동물 클러스터 구축 방향 연구 사업비 얼마야", "15,000"),
    ("daejeon-sejong-2024", "반려동물 클러스터 구축 방향 연구 발주처가 어디예요?", "대전과학산업진흥원"),
    ("daejeon-sejong-2024", "대전 반려동물 클러스터 연구 책임자가 누구야", "이형복"),
    ("daejeon-sejong-2024", "특별자치도 분권포럼 주관부서 어디야?", "기획조정실"),
    ("daejeon-sejong-2024", "특별자치도 분권포럼 개최일 언제야?", "1.12."),
    ("daejeon-sejong-2024", "그랜드플랜 과학경제 분야 정책 세미나는 어느 부서 주관이야", "경제사회연구실"),
    ("daejeon-sejong-2024", "대전 하이테크 뷰티산업 육성방안 연구 책임자는?", "김은영"),
    ("paju-future-strategy-2023", "지방자치단체 혁신평가로 받은 포상금 얼마야", "27,000"),
    ("paju-future-strategy-2023", "지방자치단체 혁신평가 수상일이 언제야", "2023. 2. 20."),
    ("paju-future-strategy-2023", "지방자치단체 혁신평가 상은 어느 기관이 줬어?", "행정안전부"),
    ("goyang-institute-2024", "중소벤처기업진흥공단 협약체결 일정 언제야", "2023년 11월"),
    ("daejeon-sejong-2024", "세종시 국제안전도시 재공인 선포식에 예산 얼마 썼어?", "50"),
    ("daejeon-sejong-2024", "원도심 빈점포 관리랑 활용 사업 소요예산 얼마야", "130"),
    ("daejeon-sejong-2024", "도심형산업지원플랫폼 문화체험 운영 예산은 얼마였나요?", "110"),
    ("daejeon-sejong-2024", "기획총서 제4권 발간하는 데 예산 얼마 들었어", "20"),
    ("daejeon-sejong-2024", "자료총서 제1권 발간 예산 얼마?", "8"),
    ("daejeon-sejong-2024", "대전경제 미래전략 포럼 개최 소요예산은", "4"),
    ("daejeon-sejong-2024", "세종학 세미나 여는 데 든 예산", "2"),
]


@pytest.fixture(scope="module")
def table_hits(corpus_chunks):
    """Per document, every table chunk with column names, as hits in document order: the reader has to find
    the row among all of them, not in a chunk handed to it."""
    hits = {}
    for doc_id, chunks in corpus_chunks.items():
        tables = [c for c in chunks if c.kind is ChunkKind.TABLE and c.extra.get("table_headers")]
        hits[doc_id] = tables
    return hits


@pytest.fixture(scope="module")
def weights(corpus_chunks):
    return TermWeights([c.quote for chunks in corpus_chunks.values() for c in chunks])


def _hits_for(chunks, cell_text, question):
    """The chunk holding the answer's row ranked third among ten table chunks: the reader, not retrieval, picks it."""
    focus = analyze_question(question).focus
    def named(chunk) -> int:  # how much of the question the row holding the cell names
        return max((sum(t in line.replace(" ", "") for t in focus) for line in chunk.quote.split("\n")
                    if cell_text in [cell.strip() for cell in line.split("\t")]), default=0)

    holding = sorted((c for c in chunks if named(c) >= 2), key=named, reverse=True)
    others = [c for c in chunks if c not in holding][:9]
    ordered = others[:2] + holding[:1] + others[2:]
    return [Hit(chunk=c, score=1.0, rank=n) for n, c in enumerate(ordered, start=1)]


@pytest.mark.parametrize(("doc", "question", "cell"), CELLS, ids=[c[2] for c in CELLS])
def test_a_table_cell_where_the_row_meets_the_column(table_hits, weights, corpus_texts, doc, question, cell):
    hits = _hits_for(table_hits[doc], cell, question)
    response, _ = read_answer(analyze_question(question), hits, term_weight=weights)
    assert response is not None, question
    assert cell in response.answer
    assert len(response.answer) <= 200
    [evidence] = response.evidence
    assert evidence.text == cell
    assert corpus_texts[doc][evidence.start:evidence.end] == cell  # the span a client highlights, exactly
    citation = response.citations[0]
    assert citation.start <= evidence.start and evidence.end <= citation.end


def test_no_cell_answers_when_the_row_is_not_there(table_hits, weights):
    """A project the tables do not hold: the reader does not read some other row's cell."""
    question = analyze_question("수원 광교 호수공원 활성화 연구 책임자 누구야?")
    hits = [Hit(chunk=c, score=1.0, rank=n) for n, c in enumerate(table_hits["daejeon-sejong-2024"][:10], start=1)]
    whole, _ = read_answer(question, hits, term_weight=weights)
    assert whole is None


def test_cells_know_their_row_and_column(corpus_chunks):
    chunk = next(c for c in corpus_chunks["daejeon-sejong-2024"] if "2040년 세종도시기본계획 수립 용역" in c.quote
                 and c.kind is ChunkKind.TABLE)
    units = units_of([Hit(chunk=chunk, score=1.0, rank=1)])
    cell = next(u for u in units if u.kind is UnitKind.CELL and u.text == "지남석")
    assert cell.cell.row_header == "2040년 세종도시기본계획 수립 용역"
    assert cell.cell.column_header == "연구책임자"


SPANS = [
    ("- '15. 06. 24. 대전도시재생지원센터 신설", AnswerType.DATE, "'15. 06. 24."),
    ("- '24. 3.~11. : 자문 실시(자문 요청 → 자문단 선정 → 자문 실시)", AnswerType.PERIOD, "'24. 3.~11."),
    ("- '24. 1.~2. : 전문가 자문단 모집 및 구축(30명)", AnswerType.COUNT, "30명"),
    ("파주형 SDGs 17개 목표, 40개 세부전략, 75개 지표 선정", AnswerType.COUNT, "75개"),
    ("■ 예산액: 20,000천원", AnswerType.AMOUNT, "20,000천원"),
    ("공모사업 44건 선정, 국도비 595억 원 확보", AnswerType.AMOUNT, "595억 원"),
    ("응답률 45.3% 기록", AnswerType.PERCENT, "45.3%"),
    ("연락처 부장: 윤신희 ☎ 8073-8365 팀장: 백주현 ☎ 8073-8375", AnswerType.PERSON, "윤신희"),
    ("담당 이 성 호 ☎ 940 - 4230", AnswerType.PERSON, "이 성 호"),
    ("기획평가팀에서 자료관 관리", AnswerType.ORGANIZATION, "기획평가팀"),
    ("- ‘대전 하이테크 뷰티산업 육성방안 연구’", AnswerType.TITLE, "대전 하이테크 뷰티산업 육성방안 연구"),
    ("평화누리실 (시청 본관 2층)", AnswerType.PLACE, "2층"),
]


@pytest.mark.parametrize(("text", "kind", "expected"), SPANS, ids=[s[1].value + "-" + s[2] for s in SPANS])
def test_typed_spans_keep_their_written_form(text, kind, expected):
    spans = find_spans(text, frozenset({kind}))
    assert expected in [s.text for s in spans]
    for span in spans:
        assert text[span.start:span.end] == span.text


def test_numbers_are_normalized_for_comparison():
    [amount] = find_spans("총 14,858백만원", frozenset({AnswerType.AMOUNT}))
    assert amount.value == 14858.0
    [date] = find_spans("'22. 07. 01. 운영", frozenset({AnswerType.DATE}))
    assert date.value == datetime.date(2022, 7, 1)


def test_comparison_verdicts_come_from_the_normalized_values():
    earlier = analyze_question("세종이랑 대전 중에 어디가 먼저 운영했어?")
    sejong = Span(AnswerType.DATE, 0, 12, "'22. 07. 01.", datetime.date(2022, 7, 1))
    daejeon = Span(AnswerType.DATE, 0, 12, "'22. 10. 01.", datetime.date(2022, 10, 1))
    assert compare_verdict(earlier, [(1, sejong), (2, daejeon)]) == "먼저인 쪽: [1]"
    assert compare_verdict(earlier, [(1, daejeon), (2, sejong)]) == "먼저인 쪽: [2]"
    larger = analyze_question("도시재생지원센터랑 균형발전지원센터 중 예산 더 많은 곳은?")
    big = Span(AnswerType.AMOUNT, 0, 5, "1,288", 1288.0)
    small = Span(AnswerType.AMOUNT, 0, 3, "254", 254.0)
    assert compare_verdict(larger, [(1, small), (2, big)]) == "더 큰 쪽: [2]"
    assert compare_verdict(larger, [(1, big), (2, big)]) == "두 값이 같습니다."
    people = Span(AnswerType.COUNT, 0, 3, "30명", 30.0)
    session = Span(AnswerType.COUNT, 0, 2, "1차", 1.0)
    assert compare_verdict(larger, [(1, session), (2, people)]) == ""  # 1차 and 30명 are not comparable


def test_particles_follow_the_last_syllable():
    assert topic_particle("연구책임자") == "는" and topic_particle("발주처") == "는"
    assert topic_particle("소요예산") == "은" and topic_particle("개최일") == "은"
    assert has_final_consonant("2023년") and not has_final_consonant("72")
    assert has_final_consonant("(백만원)")


def test_citation_offsets_are_the_quote_span(corpus_chunks, corpus_texts):
    chunk = corpus_chunks["goyang-institute-2024"][3]
    citation = Citation.of_chunk(1, chunk, 0.5)
    assert corpus_texts["goyang-institute-2024"][citation.start:citation.end] == citation.text

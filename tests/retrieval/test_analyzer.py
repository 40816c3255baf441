"""The analyzer and the hybrid retriever on the ways people really type, over the real corpus."""

from collections import Counter

import pytest

from assistant.retrieval.analyzer import analyze, char_bigrams
from assistant.service import Assistant
from assistant.settings import Settings


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index, cache_dir=corpus_index.parent / "unused-cache"))


@pytest.mark.parametrize(("a", "b"), [
    ("도시재생지원센터담당자전화번호", "도시재생 지원센터 담당자 전화번호"),
    ("고양시정연구원학술행사", "고양시정연구원 학술행사"),
    ("☎ 940 - 4230", "☎940-4230"),
    ("8073 -8375", "8073-8375"),
])
def test_spacing_does_not_change_the_terms(a, b):
    assert Counter(analyze(a)) == Counter(analyze(b))


def test_casual_and_polite_endings_give_the_same_content_terms():
    for question in ("대전세종연구원 개원일이 언제야?", "대전세종연구원 개원일은 언제입니까"):
        assert {"대전세종연구원", "개원", "개원일"} <= set(analyze(question)), question
    assert "8073-8344" in analyze("담당: 노관령 ☎ 8073 - 8344")
    assert char_bigrams("이 성 호") == ["이성", "성호"]


def test_spacing_variants_retrieve_the_same_chunks(assistant):
    joined, spaced = "도시재생지원센터담당자전화번호", "도시재생 지원센터 담당자 전화번호"
    retriever = assistant.index.retriever
    for lexical in (retriever.bm25, retriever.bigrams):  # identical terms, identical rankings
        assert lexical.search(joined, 20) == lexical.search(spaced, 20)
    # the query is re-spaced by Kiwi before it is embedded, so the fused ranking is the same too
    assert [h.chunk.chunk_id for h in assistant.search(joined, 10)] == [h.chunk.chunk_id for h in assistant.search(spaced, 10)]


@pytest.mark.parametrize(("query", "expected"), [
    ("미래전략데이타센터 센터장 전화번호", "8073-8319"),  # 데이타: a common misspelling of 데이터
    ("학술행사담당자번호알려줘", "8073-8344"),
    ("파주 공모사업 담당 주무관 연락처", "940 - 5633"),
    ("고양시 연구원 청사 추가 임차 담당자", "8073-8347"),
])
def test_typed_like_people_type_the_evidence_is_in_the_top_five(assistant, query, expected):
    quotes = [h.chunk.quote for h in assistant.search(query, 5)]
    assert any(expected in quote for quote in quotes), query


def test_hits_explain_their_ranks_and_an_exact_phone_ranks_first(assistant):
    hits = assistant.search("8073-8344 누구 번호야", 5)
    assert "8073-8344" in hits[0].chunk.quote
    assert set(hits[0].ranks) <= {"bm25", "bigram", "dense"} and hits[0].ranks
    assert assistant.index.retriever.name == "hybrid"

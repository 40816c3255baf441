"""Query embeddings are kept by text: a repeated question (or the same one typed with other spacing) skips the model,
and retrieves exactly what it retrieved the first time."""

import numpy as np
import pytest

from assistant.analysis import respace
from assistant.retrieval.hybrid import QUERY_VECTORS
from assistant.service import Assistant
from assistant.settings import Settings


class CountingEmbedder:
    """The index's real embedder, with the texts it is asked to embed recorded."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.embedded: list[str] = []

    def embed_queries(self, texts):
        self.embedded.extend(texts)
        return self.inner.embed_queries(texts)


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index))


@pytest.fixture
def embedder(assistant, monkeypatch):
    retriever = assistant.index.retriever
    assert retriever.name == "hybrid"
    counting = CountingEmbedder(retriever.embedder)
    monkeypatch.setattr(retriever, "embedder", counting)
    retriever.forget_queries()
    return counting


def ranking(hits):
    return [(h.chunk.chunk_id, h.rank, h.score, h.ranks, h.scores) for h in hits]


def test_a_second_identical_question_does_not_embed_again(assistant, embedder):
    retriever = assistant.index.retriever
    first = retriever.search("고양시정연구원 학술행사 담당자 전화번호", 10)
    assert len(embedder.embedded) == 1
    again = retriever.search("고양시정연구원 학술행사 담당자 전화번호", 10)
    assert len(embedder.embedded) == 1 and ranking(again) == ranking(first)
    retriever.forget_queries()
    assert ranking(retriever.search("고양시정연구원 학술행사 담당자 전화번호", 10)) == ranking(first)
    assert len(embedder.embedded) == 2  # emptied: embedded anew, the same hits


def test_spacing_variants_share_one_embedding(assistant, embedder):
    retriever = assistant.index.retriever
    joined = retriever.query_vector("도시재생지원센터담당자전화번호")
    spaced = retriever.query_vector("도시재생 지원센터 담당자 전화번호")
    assert embedder.embedded == [respace("도시재생지원센터담당자전화번호")]  # what the model reads: Kiwi's spacing
    assert spaced is joined


def test_a_cached_vector_cannot_be_changed_by_its_user(assistant, embedder):
    vector = assistant.index.retriever.query_vector("학술행사 예산")
    with pytest.raises(ValueError):
        vector[0] = 1.0
    fresh = embedder.inner.embed_queries([respace("학술행사 예산")])[0]
    assert np.array_equal(vector, fresh)


def test_the_cache_is_bounded(assistant, embedder):
    retriever = assistant.index.retriever
    assert retriever._vector_of_text.cache_info().maxsize == QUERY_VECTORS
    for n in range(3):
        retriever.query_vector(f"질문 {n}")
    assert retriever._vector_of_text.cache_info().currsize == 3


def test_a_comparison_embeds_the_question_and_each_side_once(assistant, embedder):
    question = "고양시정연구원이랑 대전세종연구원 중에 어디가 먼저 개원했어?"
    assistant.search(question, 10)
    assert len(embedder.embedded) == 3
    assistant.search(question, 10)
    assert len(embedder.embedded) == 3

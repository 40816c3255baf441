"""BM25 with bm25s (sparse matrices, vectorised scoring), over any term lists.

Two term lists are indexed: Kiwi terms (``analyzer.analyze``) and character bigrams
(``analyzer.char_bigrams``), which still match when a typo or an unusual ending keeps Kiwi
from finding the same morpheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import bm25s
import numpy as np

_EMPTY = "\u0000"  # an empty document would make bm25s drop a row; a placeholder keeps rows aligned


class BM25Index:
    """Scores every document for a query's terms; ``search`` returns (row, score) best first."""

    def __init__(self, model: bm25s.BM25, size: int, analyzer: Callable[[str], list[str]]) -> None:
        self._bm25 = model
        self.size = size
        self.analyzer = analyzer
        self.vocabulary = set(model.vocab_dict)

    @classmethod
    def build(cls, texts: list[str], analyzer: Callable[[str], list[str]]) -> BM25Index:
        return cls.from_terms([analyzer(text) for text in texts], analyzer)

    @classmethod
    def from_terms(cls, terms: list[list[str]], analyzer: Callable[[str], list[str]], k1: float = 1.2,
                   b: float = 0.75) -> BM25Index:
        """From terms analyzed before (a previous build's); ``analyzer`` is what queries go through."""
        model = bm25s.BM25(k1=k1, b=b)
        model.index([t or [_EMPTY] for t in terms], show_progress=False)
        return cls(model, len(terms), analyzer)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int, analyzer: Callable[[str], list[str]]) -> BM25Index:
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size, analyzer)

    def scores(self, query: str) -> np.ndarray:
        return self.term_scores(self.analyzer(query))

    def term_scores(self, terms: Iterable[str]) -> np.ndarray:
        """Scores for a query already turned into this index's terms (``analyzer`` of the query)."""
        known = [t for t in terms if t in self.vocabulary and t != _EMPTY]
        if not known or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        return top_k(self.scores(query), k)

    def search_terms(self, terms: Iterable[str], k: int = 10) -> list[tuple[int, float]]:
        return top_k(self.term_scores(terms), k)


def top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Rows with a positive score, best first (ties keep row order)."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

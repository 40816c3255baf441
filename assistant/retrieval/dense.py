"""Exact inner-product search over normalized embeddings, with FAISS."""

from __future__ import annotations

import faiss
import numpy as np


class DenseIndex:
    def __init__(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        faiss.normalize_L2(vectors)
        self.size, self.dim = vectors.shape
        self._index = faiss.IndexFlatIP(self.dim)
        self._index.add(vectors)

    def search(self, query_vector: np.ndarray, k: int = 10) -> list[tuple[int, float]]:
        query = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, -1)
        faiss.normalize_L2(query)
        scores, ids = self._index.search(query, min(k, self.size))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

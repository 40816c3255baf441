"""Inner-product search over normalized embeddings, with FAISS.

Exact search (``IndexFlatIP``) by default: at a few thousand chunks it takes well under a
millisecond.  Past ``HNSW_THRESHOLD`` vectors an HNSW graph keeps queries fast.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 50_000


class DenseIndex:
    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        self.size = index.ntotal
        self.dim = index.d

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw: bool | None = None) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        faiss.normalize_L2(vectors)
        dim = vectors.shape[1]
        if hnsw is None:
            hnsw = vectors.shape[0] > HNSW_THRESHOLD
        if hnsw:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 64
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every vector (exact indexes only; HNSW answers via ``search``)."""
        query = _normalized(query_vector)
        if isinstance(self._index, faiss.IndexFlat):
            vectors = faiss.rev_swig_ptr(self._index.get_xb(), self.size * self.dim).reshape(self.size, self.dim)
            return vectors @ query[0]
        scores = np.full(self.size, -1.0, dtype=np.float32)
        for i, s in self.search(query_vector, min(self.size, 1000)):
            scores[i] = s
        return scores

    def search(self, query_vector: np.ndarray, k: int = 10) -> list[tuple[int, float]]:
        if not self.size:
            return []
        found, ids = self._index.search(_normalized(query_vector), min(k, self.size))
        return [(int(i), float(s)) for i, s in zip(ids[0], found[0], strict=True) if i >= 0]


def _normalized(vector: np.ndarray) -> np.ndarray:
    query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1).copy()
    faiss.normalize_L2(query)
    return query

"""The hybrid retriever: Kiwi BM25, character-bigram BM25 and e5 dense, fused by reciprocal rank.

Reciprocal rank fusion needs no score calibration between retrievers: each contributes
``weight / (k + rank)`` for the chunks it ranks.  On top of that:
- an exact-match boost for chunks containing, verbatim (spacing aside), a phone number, a
  date, a long number or a name from the question;
- the top four always leave room for a second document when one ranks near the top, and a
  comparison question is also searched once per side, so a question comparing two
  organizations finds both.
Every hit keeps its rank and score from each retriever, so an answer can explain itself.

A query comes analysed (``AnalyzedText``: the question stage ran Kiwi on it once) or as text. Its embedding is
kept in a bounded LRU by text, and by Kiwi-respaced text (what the model embeds), so a repeated question, or the
same one typed with other spacing, skips the model: embedding is the largest part of a question's CPU time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from assistant.analysis import respace
from assistant.chunking import Chunk
from assistant.retrieval.analyzer import AnalyzedText
from assistant.retrieval.decompose import split_two_sided
from assistant.retrieval.dense import DenseIndex
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.lexical import BM25Index, top_k
from assistant.retrieval.retriever import Hit

_ENTITY_PATTERNS = [
    re.compile(r"\d{2,4}\s*-\s*\d{3,4}(?:\s*-\s*\d{4})?"),  # phones
    re.compile(r"(?:'?\d{2}|\d{4})\s*[.년]\s*\d{1,2}\s*[.월](?:\s*\d{1,2}\s*[.일]?)?"),  # dates
    re.compile(r"\d[\d,]{3,}"),  # amounts and counts
]
_SPACES = re.compile(r"\s+")
_NAME = re.compile(r"^[가-힣]{3}$")
QUERY_VECTORS = 4096  # query embeddings kept per index (1.5 KB each at 384 dimensions)


@dataclass
class FusionSettings:
    rrf_k: int = 60
    weights: tuple[float, float, float] = (1.0, 1.0, 1.5)  # kiwi bm25, char bigrams, dense
    candidates: int = 50  # per retriever
    exact_boost: float = 1.0  # in units of a first-rank vote
    diversity_at: int = 4  # 0 disables


class HybridRetriever:
    def __init__(
        self,
        chunks: list[Chunk],
        bm25: BM25Index,
        bigrams: BM25Index,
        dense: DenseIndex | None = None,
        embedder: Embedder | None = None,
        settings: FusionSettings | None = None,
    ) -> None:
        self.chunks = chunks
        self.bm25 = bm25
        self.bigrams = bigrams
        self.dense = dense if embedder is not None else None
        self.embedder = embedder
        self.settings = settings or FusionSettings()
        self._flat = [_SPACES.sub("", c.search_text) for c in chunks]
        # per retriever, so a reloaded index (and maybe another embedder) starts afresh
        self._vector_of_text = lru_cache(maxsize=QUERY_VECTORS)(self._embed_text)
        self._vector_of_spaced = lru_cache(maxsize=QUERY_VECTORS)(self._embed_spaced)

    @property
    def name(self) -> str:
        return "hybrid" if self.dense is not None else "lexical"

    def search(self, query: str | AnalyzedText, k: int = 10, sides: Sequence[AnalyzedText] | None = None) -> list[Hit]:
        """The k best chunks; a comparison question is searched whole and once per side, the lists interleaved.

        ``sides``: the query's two sides, analysed (the question stage has them); None: found here."""
        query = AnalyzedText.of(query)
        if sides is None:
            sides = tuple(AnalyzedText.of(side) for side in split_two_sided(query.text) or ())
        if not sides:
            return self._search_one(query, k)
        merged: dict[str, Hit] = {}
        lists = [self._search_one(part, k) for part in (query, *sides)]
        for position in range(k):
            for hits in lists:
                if position < len(hits) and hits[position].chunk.chunk_id not in merged:
                    merged[hits[position].chunk.chunk_id] = hits[position]
        return [replace(hit, rank=rank) for rank, hit in enumerate(list(merged.values())[:k], start=1)]

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding (read-only: it is shared by every question with this text)."""
        return self._vector_of_text(text)

    def forget_queries(self) -> None:
        """Empty the query embedding caches (benchmarks measure a question never asked before)."""
        self._vector_of_text.cache_clear()
        self._vector_of_spaced.cache_clear()

    def _embed_text(self, text: str) -> np.ndarray:
        return self._vector_of_spaced(respace(text))  # spacing-independent, like the terms

    def _embed_spaced(self, spaced: str) -> np.ndarray:
        vector = np.array(self.embedder.embed_queries([spaced])[0], dtype=np.float32)
        vector.flags.writeable = False
        return vector

    def _search_one(self, query: AnalyzedText, k: int) -> list[Hit]:
        s = self.settings
        rankings: dict[str, list[tuple[int, float]]] = {
            "bm25": self.bm25.search_terms(query.terms, s.candidates),
            "bigram": self.bigrams.search(query.text, s.candidates),
        }
        if self.dense is not None:
            rankings["dense"] = self.dense.search(self.query_vector(query.text), s.candidates)
        fused: dict[int, float] = {}
        for ranking, weight in zip(rankings.values(), s.weights, strict=False):
            for rank, (row, _) in enumerate(ranking, start=1):
                fused[row] = fused.get(row, 0.0) + weight / (s.rrf_k + rank)
        for row in self._exact_matches(query, fused):
            fused[row] += s.exact_boost / (s.rrf_k + 1)
        order = [row for row, _ in top_k(np.array([fused.get(i, 0.0) for i in range(len(self.chunks))],
                                                 dtype=np.float64), max(k, s.diversity_at + 10))]
        order = self._diversify(order)[:k]
        per_retriever = {name: {row: (rank, score) for rank, (row, score) in enumerate(ranking, start=1)}
                         for name, ranking in rankings.items()}
        return [
            Hit(
                self.chunks[row],
                score=round(fused[row], 6),
                rank=rank,
                ranks={name: found[row][0] for name, found in per_retriever.items() if row in found},
                scores={name: round(found[row][1], 4) for name, found in per_retriever.items() if row in found},
            )
            for rank, row in enumerate(order, start=1)
        ]

    def _exact_matches(self, query: AnalyzedText, candidates: dict[int, float]) -> list[int]:
        entities = exact_entities(query)
        if not entities:
            return []
        return [row for row in candidates if any(e in self._flat[row] for e in entities)]

    def _diversify(self, order: list[int]) -> list[int]:
        at = self.settings.diversity_at
        if not at or len(order) <= at:
            return order
        first = self.chunks[order[0]].doc_id
        if any(self.chunks[row].doc_id != first for row in order[:at]):
            return order
        for index in range(at, min(len(order), at + 11)):
            if self.chunks[order[index]].doc_id != first:
                order = order[:at] + [order[index]] + order[at:index] + order[index + 1:]
                break
        return order


def exact_entities(query: str | AnalyzedText) -> list[str]:
    """Phones, dates, long numbers and person names in the query, spaces removed.

    Names are three-syllable proper nouns (김유진, 이성호); longer ones are mostly
    organizations, which every chunk of their document mentions.
    """
    query = AnalyzedText.of(query)
    found = [_SPACES.sub("", m.group(0)) for pattern in _ENTITY_PATTERNS for m in pattern.finditer(query.text)]
    found += [t.form for t in query.tokens if t.tag == "NNP" and _NAME.match(t.form)]
    return [e for e in dict.fromkeys(found) if len(e) >= 3]

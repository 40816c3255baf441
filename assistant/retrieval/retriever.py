"""Retrievers over the index's chunks; each hit says which retriever ranked it where."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.chunking import Chunk
from assistant.retrieval.lexical import BM25Index


@dataclass
class Hit:
    chunk: Chunk
    score: float
    rank: int  # 1-based
    ranks: dict[str, int] = field(default_factory=dict)  # per retriever, for explaining an answer
    scores: dict[str, float] = field(default_factory=dict)


class LexicalRetriever:
    """BM25 over Kiwi terms of each chunk's search text."""

    name = "bm25"

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.bm25 = BM25Index.from_texts([c.search_text for c in chunks])

    def search(self, query: str, k: int = 10) -> list[Hit]:
        return [
            Hit(self.chunks[i], score, rank, {self.name: rank}, {self.name: score})
            for rank, (i, score) in enumerate(self.bm25.search(query, k), start=1)
        ]

"""What a retriever returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.chunking import Chunk


@dataclass
class Hit:
    chunk: Chunk
    score: float
    rank: int  # 1-based
    ranks: dict[str, int] = field(default_factory=dict)  # per retriever, for explaining an answer
    scores: dict[str, float] = field(default_factory=dict)

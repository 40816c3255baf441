"""How telling a focus word is: its inverse document frequency over the indexed chunks.

A word counts as present wherever it occurs in a text with spaces removed, the way the reader matches it,
so "센터" (in most chunks) weighs little and "밴쿠버" (in one) much.
"""

from __future__ import annotations

import math
import re
import threading

_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACES.sub("", text).lower()


class TermWeights:
    def __init__(self, texts: list[str]) -> None:
        self._texts = [squash(t) for t in texts]
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, term: str) -> float:
        weight = self._cache.get(term)
        if weight is None:
            df = sum(1 for text in self._texts if term in text)
            weight = math.log(1 + len(self._texts) / (1 + df))
            with self._lock:
                if len(self._cache) > 100_000:
                    self._cache.clear()
                self._cache[term] = weight
        return weight


def uniform(term: str) -> float:
    """Weights without an index: every word alike (tests, a reader over ad-hoc text)."""
    return 1.0


def focus_share(focus: frozenset[str], text: str, term_weight=uniform) -> float:
    """The weighted share of the focus words found in ``text`` (spaces ignored); 1.0 for an empty focus."""
    weights = {t: term_weight(t) for t in focus}
    total = sum(weights.values())
    if not total:
        return 1.0
    flat = squash(text)
    return sum(w for t, w in weights.items() if t in flat) / total

"""The rule every answer obeys: each digit run of three or more comes from a cited quote."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DIGIT_RUN = re.compile(r"\d{3,}")
_WHITESPACE = re.compile(r"\s+")


def unsupported_numbers(answer: str, quotes: Iterable[str], *, whole: bool = False) -> list[str]:
    """Digit runs of 3+ in the answer that no cited quote contains (citation markers are 1-2 digits).

    ``whole``: a run must be a whole digit run of a quote too, not part of a longer one ("834" is not in "8344"):
    for text a model wrote, which can stop or slip inside a number; extractive spans are cut from the quotes.
    """
    joined = " ".join(quotes)
    flat = _WHITESPACE.sub("", joined)
    if whole:
        return [run for run in _DIGIT_RUN.findall(answer)
                if not any(re.search(rf"(?<!\d){run}(?!\d)", text) for text in (joined, flat))]
    return [run for run in _DIGIT_RUN.findall(answer) if run not in joined and run not in flat]

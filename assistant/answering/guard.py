"""The rule every answer obeys: each digit run of three or more comes from a cited quote."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DIGIT_RUN = re.compile(r"\d{3,}")
_WHITESPACE = re.compile(r"\s+")


def unsupported_numbers(answer: str, quotes: Iterable[str]) -> list[str]:
    """Digit runs of 3+ in the answer that no cited quote contains (citation markers are 1-2 digits)."""
    joined = " ".join(quotes)
    flat = _WHITESPACE.sub("", joined)
    return [run for run in _DIGIT_RUN.findall(answer) if run not in joined and run not in flat]

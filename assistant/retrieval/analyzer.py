"""Korean text -> index terms, the same way for documents and queries.

Kiwi splits ``도시재생지원센터담당자전화번호`` and ``도시재생 지원센터 담당자 전화번호``
into the same morphemes, so spacing does not matter.  Terms are the content morphemes
(nouns, names, roots, verb and adjective stems, numbers, foreign words), plus each run
of adjacent nouns joined back into its compound (``도시재생지원센터``) and its noun
bigrams, so a compound written whole or in parts matches.  Serial numbers, phones and
dates become one term with their spaces removed (``940 - 4230`` -> ``940-4230``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kiwipiepy import Token

from assistant.analysis import tokenize

_NOUNS = {"NNG", "NNP", "NR", "SL", "SH", "XR"}
_RUN = _NOUNS | {"NNB"}  # bound nouns join compounds (개원+일, 2+명) but are no terms alone
_STEMS = {"VV", "VA"}
_KEEP = _NOUNS | _STEMS | {"SN", "W_SERIAL", "W_URL", "W_EMAIL", "W_HASHTAG"}
# question words and chat fillers carry no evidence
_STOP = {"얼마", "언제", "누구", "무엇", "뭐", "어디", "어떻", "어느", "알리", "하", "되", "있", "없", "좀"}
_MAX_COMPOUND = 4  # longer noun runs are phrases, not compounds: bigrams cover them
_PHONE = re.compile(r"(?<!\d)(\d{2,4})\s*-\s*(\d{3,4})(?:\s*-\s*(\d{4}))?(?!\d)")


def _normalize(text: str) -> str:
    # phones written with spaces ("☎ 940 - 4230") become one serial Kiwi keeps whole
    return _PHONE.sub(lambda m: "-".join(g for g in m.groups() if g), text)


def analyze(text: str) -> list[str]:
    """Index terms of ``text`` (order kept, duplicates kept: BM25 counts them)."""
    if not text.strip():
        return []
    return index_terms(tokenize(_normalize(text)))


def index_terms(tokens: Iterable) -> list[str]:
    """Index terms of Kiwi tokens (of a text ``_normalize`` left as it was)."""
    terms: list[str] = []
    run: list[str] = []  # nouns in a row, spaces or not: "도시재생 지원센터" is one compound

    def close_run() -> None:
        if 2 < len(run) <= _MAX_COMPOUND:
            terms.append("".join(run))  # a pair is already its own bigram below
        if len(run) > 1:
            terms.extend(a + b for a, b in zip(run, run[1:], strict=False))
        run.clear()

    for token in tokens:
        tag = token.tag.split("-")[0]  # "VV-R" -> "VV"
        form = token.form
        if tag in _RUN:
            run.append(form)
        else:
            close_run()
        if tag not in _KEEP or form in _STOP:
            continue
        if tag.startswith("W_") or tag == "SN":
            form = re.sub(r"\s+", "", form).rstrip(".")
        terms.append(form.lower())
    close_run()
    return terms


@dataclass(frozen=True)
class AnalyzedText:
    """A text with Kiwi's reading of it, made once: the question's stages (retrieval, reading, answering) take
    its tokens and terms from here instead of running Kiwi on the same text again."""

    text: str
    tokens: tuple[Token, ...] = field(repr=False)  # Kiwi's tokens of the text as written
    terms: tuple[str, ...]  # ``analyze(text)``

    @classmethod
    def of(cls, text: str | AnalyzedText) -> AnalyzedText:
        if isinstance(text, AnalyzedText):
            return text
        return _analyzed(text)

    @classmethod
    def forget(cls) -> None:
        """Empty the cache of analysed texts (benchmarks of what a new question costs)."""
        _analyzed.cache_clear()


# Questions repeat (a messenger's example buttons, a retry, a common question), and a repeated one needs no Kiwi:
# Kiwi was most of the CPU of a question answered from the answer cache. The value is frozen, so it is shared.
ANALYZED_TEXTS = 4096


@lru_cache(maxsize=ANALYZED_TEXTS)
def _analyzed(text: str) -> AnalyzedText:
    if not text.strip():
        return AnalyzedText(text, (), ())
    tokens = tuple(tokenize(text))
    normalized = _normalize(text)
    # terms are read from the text with its phones joined; mostly that is the text itself
    return AnalyzedText(text, tokens, tuple(index_terms(tokens if normalized == text else tokenize(normalized))))


def text_of(text: str | AnalyzedText) -> str:
    return text.text if isinstance(text, AnalyzedText) else text


_NOT_WORD = re.compile(r"[\s\W_]+")


def char_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of the text without spaces or punctuation: typo-tolerant terms."""
    flat = _NOT_WORD.sub("", _normalize(text).lower())
    return [flat[i:i + 2] for i in range(len(flat) - 1)]

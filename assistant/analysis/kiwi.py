"""One Kiwi analyser per process: loading its model takes about a second and 100 MB."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from kiwipiepy import Kiwi

_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_kiwi() -> Kiwi:
    # model from the kiwipiepy-model package: nothing is downloaded
    return Kiwi()


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets into the text given to split_sentences
    end: int
    n_tokens: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` with exact offsets and their Kiwi token counts.

    Kiwi splits on its own sentence model; each line is split separately, because a
    line break in these documents always ends a bullet, a cell or a title.
    """
    sentences: list[Sentence] = []
    offset = 0
    kiwi = get_kiwi()
    for line in text.split("\n"):
        if line.strip():
            with _lock:  # a Kiwi object is not documented as thread-safe
                parts = kiwi.split_into_sents(line, return_tokens=True)
            for part in parts:
                sentences.append(Sentence(offset + part.start, offset + part.end, len(part.tokens)))
        offset += len(line) + 1
    return sentences


def count_tokens(text: str) -> int:
    if not text.strip():
        return 0
    with _lock:
        return len(get_kiwi().tokenize(text))


def tokenize(text: str) -> list:
    """Kiwi tokens of ``text`` (serialised: one analyser is shared by all threads)."""
    with _lock:
        return get_kiwi().tokenize(text)


def respace(text: str) -> str:
    """The text with Kiwi's own spacing, whatever spacing it came with.

    ``도시재생지원센터담당자전화번호`` and ``도시재생 지원센터 담당자 전화번호`` both become
    ``도시 재생 지원 센터 담당자 전화번호``, so a query embeds the same however it was typed.
    """
    with _lock:
        return get_kiwi().space(text, reset_whitespace=True)

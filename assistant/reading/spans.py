"""Typed spans inside a unit of text: dates, periods, counts, amounts, percentages, people, organizations, titles.

Each span keeps its written form and its offsets in the unit, so an answer quotes it as written and a
client can highlight it; ``value`` holds the normalized value (a number, a date) for comparisons.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from assistant.analysis import tokenize
from assistant.facts.dates import find_dates
from assistant.question import COUNTERS, AnswerType

_COUNTER = "|".join(sorted(COUNTERS, key=len, reverse=True))
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
COUNT = re.compile(rf"(?<![\d.,])({_NUMBER})\s*({_COUNTER})(?!원)")  # "개원" is an opening, not a count
AMOUNT = re.compile(rf"(?<![\d.,])({_NUMBER})\s*(조\s*\d*\s*억|억\s*\d*\s*만|억|천만|백만|만|천)?\s*(원)")
PERCENT = re.compile(rf"(?<![\d.,])({_NUMBER})\s*(%|퍼센트|％|%p)")
BARE_NUMBER = re.compile(rf"(?<![\d.,\-])({_NUMBER})(?![\d\-])")
ORGANIZATION = re.compile(
    r"[가-힣A-Za-z·]{1,20}(?:연구원|연구실|연구센터|지원센터|센터|위원회|협의회|자문단|추진단|공사|재단|사무처|"
    r"기획조정실|담당관|관실|과|팀|실|처|국|부|단|원)(?=[^가-힣]|$|에서|에|이|가|은|는|의|을|를|와|과|로|도)")
TITLE = re.compile(r"[『「‘“<《〈]([^』」’”>》〉\n]{2,80})[』」’”>》〉]")
PLACE = re.compile(r"[가-힣]+(?:로|길)\s*\d+(?:-\d+)?|\d+\s*층|[가-힣]+(?:동|구|시)\s+[가-힣\d]+(?:빌딩|센터|타워|관)")
# names written with spaces between syllables ("이 성 호") in contact lines
_SPACED_NAME = re.compile(r"(?<![가-힣])[가-힣] [가-힣] [가-힣](?![가-힣])")
_NAME = re.compile(r"[가-힣]{2,4}")
UNIT_NOTE = re.compile(r"\(\s*단위\s*:?\s*([^)]*)\)")


@dataclass(frozen=True)
class Span:
    kind: AnswerType
    start: int  # offsets in the unit's text
    end: int
    text: str
    value: float | datetime.date | None = None
    end_value: datetime.date | None = None  # periods: the last day


def number_value(written: str) -> float | None:
    try:
        return float(written.replace(",", ""))
    except ValueError:
        return None


def find_spans(text: str, kinds: frozenset[AnswerType] | None = None, default_year: int | None = None) -> list[Span]:
    """Every typed span of ``text`` (of ``kinds`` only, when given), in text order."""
    found: list[Span] = []
    for kind in _FINDERS if kinds is None else kinds:
        if kind in _FINDERS:
            found.extend(_spans_of(text, kind, default_year))
    return sorted(found, key=lambda s: (s.start, -s.end))


@lru_cache(maxsize=65536)
def _spans_of(text: str, kind: AnswerType, default_year: int | None) -> tuple[Span, ...]:
    return tuple(_FINDERS[kind](text, default_year))


def _dates(text: str, default_year: int | None) -> list[Span]:
    spans = []
    for mention in find_dates(text, default_year=default_year):
        kind = AnswerType.PERIOD if mention.is_range else AnswerType.DATE
        spans.append(Span(kind, mention.start, mention.end, mention.text, mention.start_date, mention.end_date))
    return spans


def _numbers(pattern: re.Pattern[str], kind: AnswerType) -> Callable[[str, int | None], list[Span]]:
    def find(text: str, _: int | None) -> list[Span]:
        return [Span(kind, m.start(), m.end(), m.group(0), number_value(m.group(1))) for m in pattern.finditer(text)]
    return find


def _counts(text: str, default_year: int | None) -> list[Span]:
    money = [(m.start(), m.end()) for m in AMOUNT.finditer(text)]
    return [s for s in _numbers(COUNT, AnswerType.COUNT)(text, default_year)
            if not any(a <= s.start < b for a, b in money)]


def _pattern(pattern: re.Pattern[str], kind: AnswerType, group: int = 0) -> Callable[[str, int | None], list[Span]]:
    def find(text: str, _: int | None) -> list[Span]:
        return [Span(kind, m.start(group), m.end(group), m.group(group)) for m in pattern.finditer(text)]
    return find


def _people(text: str, _: int | None = None) -> list[Span]:
    """Person names: Kiwi's proper nouns of two to four syllables, and names spaced out syllable by syllable."""
    found = [Span(AnswerType.PERSON, m.start(), m.end(), m.group(0)) for m in _SPACED_NAME.finditer(text)]
    if not re.search(r"[가-힣]", text):
        return found
    for token in tokenize(text):
        if token.tag == "NNP" and _NAME.fullmatch(token.form) and text[token.start:token.end] == token.form:
            found.append(Span(AnswerType.PERSON, token.start, token.end, token.form))
    return found


def unit_of_amounts(text: str) -> str | None:
    """A table's unit note, "(단위 : 백만원)" -> "백만원"."""
    m = UNIT_NOTE.search(text)
    return m.group(1).strip() if m else None


_FINDERS: dict[AnswerType, Callable[[str, int | None], list[Span]]] = {
    AnswerType.DATE: lambda text, year: [s for s in _dates(text, year) if s.kind is AnswerType.DATE],
    AnswerType.PERIOD: lambda text, year: [s for s in _dates(text, year) if s.kind is AnswerType.PERIOD],
    AnswerType.AMOUNT: _numbers(AMOUNT, AnswerType.AMOUNT),
    AnswerType.PERCENT: _numbers(PERCENT, AnswerType.PERCENT),
    AnswerType.COUNT: _counts,
    AnswerType.TITLE: _pattern(TITLE, AnswerType.TITLE, 1),
    AnswerType.PLACE: _pattern(PLACE, AnswerType.PLACE),
    AnswerType.ORGANIZATION: _pattern(ORGANIZATION, AnswerType.ORGANIZATION),
    AnswerType.PERSON: _people,
}

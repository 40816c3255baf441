"""Recognising headings in Korean plan documents and nesting them into a section tree.

These documents mark their outline with numbering and glyphs rather than styles:
``Ⅲ 부서별 주요업무계획`` > ``10 대전도시재생지원센터`` > ``③ 2024년 주요사업 추진 계획``
> ``□ 도시재생자문단`` > ``○ 추진 계획`` > ``- '24. 3.~11. : 자문 실시``.  The glyph order
differs between documents (◆ above ■ in one, ■ above ○ in another), so glyph levels are
learnt as they appear: a glyph already open is a sibling, a new one is a child.  Numbers
carry a counter, so ``2`` closes the ``1`` it follows; a table of contents, when the
document has one, pins its entries to their level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
_ROMAN_ASCII = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

_ROMAN_RE = re.compile(rf"^\s*([{_ROMAN}]|(?:VIII|VII|VI|IV|IX|III|II|I|V|X))\s*\.?\s+(?=\S)")
_DIGIT_RE = re.compile(r"^\s*(\d{1,2})(?:\.|\))?\s+(?=[^\s\d.~\-])|^\s*(\d{1,2})\s+(?=\d{4}년)")
_CIRCLED_RE = re.compile(rf"^\s*([{_CIRCLED}])\s*(?=\S)")
_PAIR_RE = re.compile(r"^\s*((?:[가-힣]{1,4}\s*)?\d{1,2}-\d{1,2})\.\s+(?=\S)")
# glyphs that open a section; the value is the family, so look-alikes nest as one
SECTION_GLYPHS = {"□": "□", "■": "■", "▣": "▣", "◆": "◆", "◇": "◆", "○": "○", "❍": "○", "◦": "○",
                  "◎": "◎", "●": "●", "▶": "▶", "►": "▶"}
# glyphs that open a list item or a note
LIST_GLYPHS = "-–·•∙▪✓➔→⇒※*Ÿ\u0335ㆍ"
_GLYPH_RE = re.compile(rf"^\s*([{''.join(SECTION_GLYPHS)}{re.escape(LIST_GLYPHS)}])\s*")

# Sub-section names every program page repeats; they are never the program itself.
GENERIC_TITLES = tuple(
    t.replace(" ", "")
    for t in (
        "사업개요", "추진계획", "기대효과", "추진배경", "추진목적", "추진방향", "추진실적", "추진성과",
        "추진개요", "추진현황", "향후계획", "현황 및 문제점", "목적 및 기대효과", "주요내용", "사업내용",
        "센터 설치의 필요성", "센터 운영 방안", "운영계획", "운영방향", "여건분석", "대외 환경", "내부 환경",
        "개선방안", "문제점", "필요성", "목적", "개요", "현황",
    )
)
_SENTENCE_END = re.compile(r"(?:다|음|함|됨|[.!?:;,])\s*$")


@dataclass(frozen=True)
class Marker:
    """How a line starts: ``family`` groups markers that nest alike, ``counter`` orders numbers."""

    kind: str  # "roman" | "digit" | "pair" | "glyph" | "list" | ""
    family: str = ""
    counter: int = 0
    style: str = ""  # "plain" or "circled" numbers


def split_marker(text: str) -> tuple[Marker, str]:
    """The line's leading marker and the text after it."""
    if m := _ROMAN_RE.match(text):
        token = m.group(1)
        counter = _ROMAN.index(token) + 1 if token in _ROMAN else _ROMAN_ASCII[token]
        return Marker("roman", "roman", counter), text[m.end():].strip()
    if m := _PAIR_RE.match(text):
        return Marker("pair", "pair", 0), text[m.end():].strip()
    if m := _CIRCLED_RE.match(text):
        return Marker("digit", "digit", _CIRCLED.index(m.group(1)) + 1, "circled"), text[m.end():].strip()
    if m := _DIGIT_RE.match(text):
        return Marker("digit", "digit", int(m.group(1) or m.group(2)), "plain"), text[m.end():].strip()
    if m := _GLYPH_RE.match(text):
        glyph = m.group(1)
        if glyph in SECTION_GLYPHS:
            return Marker("glyph", SECTION_GLYPHS[glyph]), text[m.end():].strip()
        return Marker("list", glyph), text[m.end():].strip()
    return Marker(""), text.strip()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_generic_title(title: str) -> bool:
    return squash(title).startswith(GENERIC_TITLES)


def looks_like_title(text: str, max_len: int = 40) -> bool:
    """A short line that does not read as a sentence."""
    text = text.strip()
    return 1 < len(text) <= max_len and not _SENTENCE_END.search(text) and not text.startswith(("(", "*", "※"))


@dataclass
class _Open:
    kind: str  # "explicit" | "roman" | "digit" | "pair" | "program" | "generic" | "glyph"
    family: str
    counter: int
    style: str
    title: str


class OutlineTracker:
    """The stack of open headings; ``open(...)`` places a new heading and returns its path."""

    def __init__(self, toc_titles: dict[str, int] | None = None) -> None:
        self.stack: list[_Open] = []
        self.toc = toc_titles or {}

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(entry.title for entry in self.stack)

    def open_explicit(self, title: str, level: int) -> int:
        """A heading whose level the format states (Markdown ``##``, HTML ``<h2>``)."""
        self._pop_while(lambda e: e.kind != "explicit" or e.counter >= level)
        self.stack.append(_Open("explicit", "explicit", level, "", title))
        return len(self.stack)

    def open_marked(self, marker: Marker, title: str) -> int:
        """A heading introduced by numbering or a glyph."""
        entry = _Open(marker.kind, marker.family, marker.counter, marker.style, title)
        if marker.kind == "roman":
            self._pop_while(lambda e: e.kind != "explicit")
        elif marker.kind == "digit":
            self._place_number(entry)
            return len(self.stack)
        elif marker.kind == "pair":
            self._pop_glyphs()
            index = self._deepest(lambda e: e.kind == "pair")
            if index is not None:
                del self.stack[index:]
        else:  # glyph: a sibling of the same glyph if it is open below the last structural heading
            index = self._deepest(
                lambda e: e.kind in ("glyph", "generic") and e.family == marker.family, stop_at_structure=True
            )
            if index is not None:
                del self.stack[index:]
        self.stack.append(entry)
        return len(self.stack)

    def open_program(self, title: str) -> int:
        """A bare title line that starts a program's page (found by its context)."""
        self._pop_while(lambda e: e.kind not in ("explicit", "roman"))
        self.stack.append(_Open("program", "program", 0, "", title))
        return len(self.stack)

    def open_generic(self, marker: Marker, title: str) -> int:
        """``사업개요``, ``추진계획``, ``기대효과``: siblings of each other, whatever glyph they carry."""
        index = self._deepest(lambda e: e.kind == "generic", stop_at_structure=True)
        if index is None and marker.kind == "glyph":
            index = self._deepest(lambda e: e.kind == "glyph" and e.family == marker.family, stop_at_structure=True)
        if index is not None:
            del self.stack[index:]
        self.stack.append(_Open("generic", marker.family if marker.kind == "glyph" else "", 0, "", title))
        return len(self.stack)

    def _place_number(self, entry: _Open) -> None:
        anchored = self._toc_level(entry.title)
        if anchored is not None:
            self._pop_while(lambda e: not (e.kind == "roman" and anchored > 1) and e.kind != "explicit")
            self.stack.append(entry)
            return
        self._pop_glyphs()
        if entry.counter > 1:
            # converted files mix "1", "②", "3" within one level, so the style is no evidence
            index = self._deepest(lambda e: e.kind == "digit" and e.counter == entry.counter - 1)
            if index is None:
                index = self._deepest(lambda e: e.kind == "digit")
            if index is not None:
                del self.stack[index:]
        self.stack.append(entry)

    def _toc_level(self, title: str) -> int | None:
        key = squash(title)
        if len(key) < 3:
            return None
        for toc_title, level in self.toc.items():
            if key == toc_title or (len(key) >= 4 and (toc_title.startswith(key) or key.startswith(toc_title))):
                return level
        return None

    def _pop_glyphs(self) -> None:
        self._pop_while(lambda e: e.kind in ("glyph", "generic"))

    def _pop_while(self, condition) -> None:
        while self.stack and condition(self.stack[-1]):
            self.stack.pop()

    def _deepest(self, condition, stop_at_structure: bool = False) -> int | None:
        for index in range(len(self.stack) - 1, -1, -1):
            entry = self.stack[index]
            if condition(entry):
                return index
            if stop_at_structure and entry.kind not in ("glyph", "generic"):
                return None
        return None

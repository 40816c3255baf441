"""Text clean-up shared by the readers, and the search form of Korean text.

Two forms of text exist downstream:
- the *normalized source text* (``clean_line``, ``html_to_lines``): what the document
  says, with markup removed; citations quote it verbatim;
- the *search text* (``join_spaced``): characters spaced apart inside names and numbers
  (``이 성 호``, ``940 - 4230``) are joined, so that a query for 이성호 finds them.
"""

from __future__ import annotations

import re
import unicodedata

from bs4 import BeautifulSoup, NavigableString, Tag

from assistant.ingest.elements import UnreadableDocument

# Tags that mark a string as an HTML fragment.  A bare "<출처 : ...>" or "< 2023년 사례 >"
# in the documents is text, not markup, so only real tag names count.
_HTML_TAG = re.compile(
    r"</?(?:ul|ol|li|p|b|i|u|br|hr|table|thead|tbody|tr|td|th|sup|sub|span|div|h[1-6]|strong|em|"
    r"math|font|img|a|script|style|blockquote|pre|code|caption)\b[^<>]*>",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "pre", "caption", "thead", "tbody"}
_DROP_TAGS = {"script", "style", "head", "title", "noscript", "template", "iframe", "object"}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\u00a0\u2002-\u200a\u202f\u205f\u3000]")


def decode_text(data: bytes) -> str:
    """Decode a text file: BOM-aware UTF-8/16, then CP949 (EUC-KR) for older Korean files."""
    if not data.strip():
        raise UnreadableDocument("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableDocument(f"invalid UTF-16 text: {exc.reason}") from None
    if b"\x00" in data[:65536]:
        raise UnreadableDocument("binary file (contains NUL bytes), not text")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableDocument("not valid UTF-8 or CP949 text")
    controls = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:65536]) // 100):
        raise UnreadableDocument("binary file (too many control characters), not text")
    return text


def clean_line(text: str) -> str:
    """NFC, invisible characters removed, exotic spaces made plain, trailing space dropped."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).rstrip()


def has_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text)) or bool(_ENTITY.search(text))


def html_to_lines(fragment: str) -> list[str]:
    """An HTML fragment (typically a table cell's ``<ul><li>..``) as plain text lines.

    Block elements start new lines, inline ones (``<b>``, ``<sup>``) melt into the text,
    entities are decoded, scripts and styles are dropped, nested table rows become
    ``a | b`` lines.
    """
    soup = BeautifulSoup(fragment, "html.parser")
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = clean_line(re.sub(r"[ \t\r\n]+", " ", "".join(current))).strip()
        if line:
            lines.append(line)
        current.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # skip comments, doctype, CDATA
                    current.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _DROP_TAGS:
                continue
            if name == "br":
                flush()
            elif name == "tr":
                flush()
                cells = [" ".join(html_to_lines(str(cell))) for cell in child.find_all(["td", "th"], recursive=False)]
                row = " | ".join(cell for cell in cells if cell)
                if row:
                    lines.append(row)
            elif name in _BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            elif name in ("td", "th"):
                current.append(" ")
                walk(child)
                current.append(" ")
            else:
                walk(child)

    walk(soup)
    flush()
    return lines


def strip_markdown_inline(text: str) -> str:
    """``**bold**`` and backslash escapes of Markdown, as the converted documents use them."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"\\([*_#\[\]()<>`\\-])", r"\1", text)


# --- search form -----------------------------------------------------------------------

# single Hangul syllables separated by single spaces: "이 성 호", "일 반 현 황", "과 장"
_SPACED_SYLLABLES = re.compile(r"(?<![\w])[가-힣](?: [가-힣])+(?![\w])")
# one syllable then two: "이 성호", "이 선주" — only joined inside contact blocks, where it is a name
_SPLIT_NAME = re.compile(r"(?<![\w])([가-힣]) ([가-힣]{2})(?![\w])")
# "940 - 4230", "8073 -8365", "031 - 940 - 4230"
_SPACED_PHONE_HYPHEN = re.compile(r"(?<=\d)[ \t]*-[ \t]*(?=\d)")


def _join_syllables(run: str, names: bool) -> str:
    syllables = run.split(" ")
    if names and len(syllables) > 3 and len(syllables) % 3 == 0:
        # "이 은 지 방 성 국 민 정 원": three people in one cell; Korean names are mostly three syllables
        return " ".join("".join(syllables[i:i + 3]) for i in range(0, len(syllables), 3))
    return "".join(syllables)


def join_spaced(text: str, *, names: bool = False) -> str:
    """The search form of ``text``: spaced-apart syllables and phone numbers joined.

    ``names=True`` also joins a lone surname and a two-syllable given name (``이 성호``),
    which is right in contact blocks and wrong in prose (``이 사업`` is two words).
    """
    text = _SPACED_SYLLABLES.sub(lambda m: _join_syllables(m.group(0), names), text)
    if names:
        text = _SPLIT_NAME.sub(r"\1\2", text)
    return _SPACED_PHONE_HYPHEN.sub("-", text)

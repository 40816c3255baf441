"""HTML for the web chat: every text from the index is untrusted and leaves here as inert text.

The chatbot renders Markdown and then sanitized HTML, and ``gr.HTML`` fills a JS/Handlebars
template. Beyond ``html.escape``, every character one of those layers could act on
(``[x](javascript:...)``, ``![](...)``, ``$...$`` for LaTeX, ``{{...}}`` and ``${...}`` for templates)
is written as a numeric character reference, which each layer shows as the character itself.
Everything built here is also one line per HTML block (newlines become ``<br>``), so Markdown
never resumes inside a quote.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from assistant.answering.models import AnswerResponse, Citation

# characters Markdown, LaTeX or a template engine would act on; '&', '#' and ';' are left to html.escape,
# whose own entities use them
MODE_LABELS = {"hybrid": "하이브리드 검색", "lexical": "어휘 검색"}
_INERT = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]()!|~$:=@"})


def inert(text: str) -> str:
    """The text as HTML that shows exactly these characters and is neither markup, Markdown nor a template."""
    text = html.escape(text or "", quote=True).translate(_INERT)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def answer_html(answer: str) -> str:
    """The answer text: one line per answer line; tab-separated table cells joined by a middle dot."""
    return f'<div class="answer-text">{inert(answer.replace(chr(9), " · "))}</div>'


def without_title(section: str, title: str) -> str:
    """The section path less the document's own title heading, which the title already shows."""
    return section.removeprefix(f"{title} > ") if title else section


def citation_html(citation: Citation) -> str:
    """A numbered source the reader can open: title and section in the summary, the verbatim quote inside."""
    section = "" if citation.section == citation.title else without_title(citation.section, citation.title)
    where = " · ".join(part for part in (citation.title, section) if part)
    return (f'<details class="citation"><summary>[{citation.n}] {inert(where)}</summary>'
            f'<div class="quote">{inert(citation.text)}</div></details>')


def suggestions_html(suggestions: Iterable[str]) -> str:
    items = "".join(f"<li>{inert(s)}</li>" for s in suggestions if s)
    return f'<div class="suggestions">가까운 섹션:<ul>{items}</ul></div>' if items else ""


def response_html(response: AnswerResponse, mode: str, answer: str | None = None) -> str:
    """The assistant's message; ``answer`` is the part streamed so far (citations come with the whole answer)."""
    if answer is not None:
        return answer_html(answer)
    parts = [answer_html(response.answer)]
    if response.citations:
        parts.append('<div class="citations-label">출처</div>')
        parts.extend(citation_html(c) for c in response.citations)
    cited = {c.section for c in response.citations}
    if response.abstained and (others := [s for s in response.suggestions if s not in cited]):
        parts.append(suggestions_html(others))
    seconds = response.timing_ms.get("total", 0.0) / 1000
    parts.append(f'<div class="answer-meta">{MODE_LABELS.get(mode, inert(mode))} · {seconds:.2f}초</div>')
    return "\n".join(parts)


def user_html(question: str) -> str:
    return f'<div class="question-text">{inert(question)}</div>'


def sections_html(title: str, meta: str, sections: list[tuple[str, str]]) -> str:
    """A document's sections, each openable to its text."""
    if not sections:
        return f'<div class="doc-sections"><h3>{inert(title)}</h3><p>이 문서에는 섹션이 없습니다.</p></div>'
    items = "\n".join(
        f'<details class="doc-section"><summary>{inert(without_title(path, title) or "(머리말)")}</summary>'
        f'<div class="quote">{inert(text)}</div></details>'
        for path, text in sections
    )
    return (f'<div class="doc-sections"><h3>{inert(title)}</h3><p class="doc-meta">{inert(meta)}</p>\n'
            f"{items}</div>")


def mode_markdown(mode: str, documents: int, chunks: int, building: bool = False, embedded: int = 0) -> str:
    """Which retrieval answers now; while a background build runs, that it will switch when done."""
    if mode == "hybrid":
        how = "**하이브리드 검색** (BM25 + 임베딩)"
        if building:
            how += f" · 색인을 새로 만드는 중 (임베딩 {embedded:,}개 완료)"
    elif building:
        how = (f"**어휘 검색** (BM25) — 임베딩을 만드는 중이며 ({embedded:,}개 완료), "
               "끝나면 하이브리드 검색으로 바뀝니다")
    else:
        how = "**어휘 검색** (BM25만: 이 색인에는 임베딩이 없습니다)"
    return f"검색 방식: {how} · 문서 {documents}건 · 청크 {chunks:,}개"

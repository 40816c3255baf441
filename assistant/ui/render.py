"""HTML for the web chat: every text from the index is untrusted and leaves here as inert text.

The chatbot renders Markdown and then sanitized HTML, and ``gr.HTML`` fills a JS/Handlebars
template. Beyond ``html.escape``, every character one of those layers could act on
(``[x](javascript:...)``, ``![](...)``, ``$...$`` for LaTeX, ``{{...}}`` and ``${...}`` for templates)
is written as a numeric character reference, which each layer shows as the character itself.
Everything built here is also one line per HTML block (newlines become ``<br>``), so Markdown
never resumes inside a quote.

The only markup added to a quote is ``<mark>`` around an answer's evidence: the quote is split at the evidence
offsets into plain pieces, each made inert on its own, and the tags go between them, so no document character
is ever written raw and no escape sequence is ever cut in two.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable

from assistant.answering.models import AnswerResponse, Citation, Evidence

# characters Markdown, LaTeX or a template engine would act on; '&', '#' and ';' are left to html.escape,
# whose own entities use them
MODE_LABELS = {"hybrid": "하이브리드 검색", "lexical": "어휘 검색"}
_INERT = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]()!|~$:=@"})


def inert(text: str) -> str:
    """The text as HTML that shows exactly these characters and is neither markup, Markdown nor a template."""
    text = html.escape(text or "", quote=True).translate(_INERT)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def answer_html(answer: str, strong: bool = True) -> str:
    """The answer text in bold (``strong=False``: a plain message): one line per answer line; tab-separated
    table cells joined by a middle dot."""
    text = inert(answer.replace(chr(9), " · "))
    return f'<div class="answer-text">{f"<strong>{text}</strong>" if strong else text}</div>'


def without_title(section: str, title: str) -> str:
    """The section path less the document's own title heading, which the title already shows."""
    return section.removeprefix(f"{title} > ") if title else section


def evidence_spans(citation: Citation, evidence: Iterable[Evidence]) -> list[tuple[int, int]]:
    """Where the evidence of ``citation`` lies in its quote: (start, end) offsets into ``citation.text``, in
    order, overlapping ones merged. Evidence of another citation or document, outside the quote, empty, or whose
    text is not the quote's text at that place is left out: a highlight never marks what the answer did not use."""
    spans = []
    for ev in evidence:
        if ev.n != citation.n or ev.doc != citation.doc:
            continue
        start, end = ev.start - citation.start, ev.end - citation.start
        if 0 <= start < end <= len(citation.text) and citation.text[start:end] == ev.text:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlighted(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` made inert with each span in ``<mark>``: split first, each piece made inert on its own."""
    pieces, at = [], 0  # plain, marked, plain, marked, ..., plain
    for start, end in spans:
        pieces += [text[at:start], text[start:end]]
        at = end
    pieces.append(text[at:])
    for i in range(len(pieces) - 1):  # a CR LF cut in two is still one line break
        if pieces[i].endswith("\r") and pieces[i + 1].startswith("\n"):
            pieces[i] = pieces[i][:-1]
    return "".join(f"<mark>{inert(piece)}</mark>" if i % 2 else inert(piece) for i, piece in enumerate(pieces))


def citation_html(citation: Citation, evidence: Iterable[Evidence] = (), opened: bool = False) -> str:
    """A numbered source the reader can open: title and section in the summary, the verbatim quote inside with
    the answer's evidence marked; ``opened``: shown open."""
    section = "" if citation.section == citation.title else without_title(citation.section, citation.title)
    where = " · ".join(part for part in (citation.title, section, citation.location) if part)
    quote = highlighted(citation.text, evidence_spans(citation, evidence))
    return (f'<details class="citation"{" open" if opened else ""}><summary>[{citation.n}] {inert(where)}</summary>'
            f'<div class="quote">{quote}</div></details>')


def citations_html(response: AnswerResponse) -> list[str]:
    """The sources of an answer; the first opens by itself when it has evidence to show marked."""
    first = response.citations[0] if response.citations else None
    opened = first is not None and bool(evidence_spans(first, response.evidence))
    return [citation_html(c, response.evidence, opened=opened and c is first) for c in response.citations]


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
        parts.extend(citations_html(response))
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


BUILD_STATES = {"idle": "대기", "building": "새로 만드는 중", "done": "완료", "failed": "실패"}


def build_markdown(status: dict, built_at: str = "") -> str:
    """The background index build in one line: its state, when it started or ended, chunks embedded so far; a
    failure's reason (it names files and may quote them) is made inert."""
    state = status.get("state", "idle")
    line = f"색인 상태: **{BUILD_STATES.get(state, inert(state))}**"
    if state == "building":
        line += f" — {_clock(status.get('started'))} 시작, 청크 {int(status.get('embedded') or 0):,}개 임베딩 완료"
        line += " · 끝날 때까지 이전 색인으로 답합니다"
    elif state == "done":
        line += f" — {_clock(status.get('finished'))}, 청크 {int(status.get('chunks') or 0):,}개"
    elif state == "failed":
        line += f" — {_clock(status.get('finished'))}: {inert(status.get('error') or '')} · 이전 색인으로 계속 답합니다"
    if built_at:
        line += f" · 지금 색인: {inert(built_at)}"
    return line


def _clock(timestamp: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(timestamp)) if timestamp else "?"


def notice_markdown(text: str, ok: bool = True) -> str:
    """A one-line result of an admin action; the text (a document id, a server's reason) is made inert."""
    return inert(text) if ok else f"**{inert(text)}**"


def upcoming_html(items: list, today, days: int, limit: int = 20) -> str:
    """다가오는 일정: the next ``days`` days from ``today``, each with its D-day count and source document.

    ``items`` are ``views.UpcomingItem``; every text comes from a document and is shown inert.
    """
    head = f'<h3>다가오는 일정 <span class="doc-meta">{today:%Y-%m-%d}부터 {days}일</span></h3>'
    if not items:
        return head + '<p class="doc-meta">이 기간에 날짜가 적힌 항목이 없습니다.</p>'
    rows = []
    for item in items[:limit]:
        record = item.record
        when = record.start_date if record.start_date == record.end_date else f"{record.start_date} ~ {record.end_date}"
        rows.append(f'<li><strong class="dday">{inert(item.label)}</strong> {inert(when)} · '
                    f'{inert(record.what or record.section or record.source_text)} '
                    f'<span class="doc-meta">— {inert(record.doc_title)}</span></li>')
    more = f'<p class="doc-meta">외 {len(items) - limit}건: 아래 표에서 기간으로 찾아보세요.</p>' if len(items) > limit else ""
    return head + f'<ul class="upcoming">{"".join(rows)}</ul>' + more


def feed_links_html(ics_url: str, csv_url: str) -> str:
    """Links to the calendar feed and the CSV of the schedule filter on screen (URLs built from escaped params)."""
    return (f'<p class="feed-links"><a href="{html.escape(ics_url, quote=True)}" id="schedule-ics" '
            f'target="_blank" rel="noopener">이 조건의 일정을 캘린더에서 구독 (.ics)</a> · '
            f'<a href="{html.escape(csv_url, quote=True)}" id="schedule-csv" download>CSV로 내려받기</a> '
            '<span class="doc-meta">— 구독하려면 링크 주소를 복사해 캘린더 앱의 "URL로 구독"에 넣으세요.</span></p>')

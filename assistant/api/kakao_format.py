"""An answer as one KakaoTalk speech bubble: plain text within the simpleText limit, and follow-up buttons.

KakaoTalk shows a simpleText as it is, so document text is made plain (no tags, no invisible or direction
control characters, table cells joined with " | "). The short answer comes first and is kept whole when it fits;
then one line per source: "[n] document title · section — “evidence”", the evidence being the span of the
document that supports the answer (``AnswerResponse.evidence``), not the whole quote; a source without evidence
gets a short excerpt of its quote instead. The source lines give up detail step by step (long evidence, short
evidence, none, no section, fewer sources) until the whole text fits. A cut never ends inside a bracket, so no
"[1" is left of a citation marker.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable

from assistant.answering.models import AnswerResponse, Citation
from assistant.api.schemas.kakao import (
    QUICK_REPLIES_MAX,
    QUICK_REPLY_LABEL_MAX_CHARS,
    SIMPLE_TEXT_MAX_CHARS,
    QuickReply,
)
from assistant.service import MAX_QUESTION_CHARS, LoadedIndex

ELLIPSIS = "…"
SECTION_SEPARATOR = " > "

EMPTY_TEXT = ("질문을 입력해 주세요. 계획서에 나오는 사업의 담당자 연락처, 일정, 예산 등을 물어보실 수 있습니다.\n"
              "예: 고양시정연구원 학술행사 담당자 전화번호 알려줘")
TIMEOUT_TEXT = "답변을 준비하는 데 시간이 걸리고 있습니다. 잠시 후 같은 질문을 다시 보내 주세요."
ERROR_TEXT = "답변을 만드는 중에 문제가 생겼습니다. 잠시 후 다시 질문해 주세요."
# the utterance held what is no text (a lone surrogate \ud800-\udfff): nothing of it can be read or quoted back
UNREADABLE_TEXT = "보내 주신 메시지를 읽을 수 없습니다. 질문을 다시 입력해 보내 주세요."
SOURCES_HEADING = "출처"
NEAREST_HEADING = "가까운 내용"


def too_long_text(length: int) -> str:
    return f"질문이 너무 깁니다({length:,}자). {MAX_QUESTION_CHARS:,}자 이내로 줄여서 다시 질문해 주세요."


_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>", re.DOTALL)
# C0/C1 controls except the newline, zero-width characters, bidirectional embeddings, overrides and isolates
_INVISIBLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SPACES = re.compile(r"[ \u00a0\u3000]+")
_MARKER = re.compile(r"\s*\[(\d{1,3})\]")


def plain_text(text: str) -> str:
    """Document or answer text as KakaoTalk should show it: no markup, one space between words, lines kept."""
    text = html.unescape(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _TAG.sub(" ", text)
    lines = []
    for line in text.split("\n"):
        cells = (_SPACES.sub(" ", _INVISIBLE.sub("", cell)).strip() for cell in line.split("\t"))
        lines.append(" | ".join(cell for cell in cells if cell))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def one_line(text: str) -> str:
    return " ".join(plain_text(text).split())


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word boundary near the end if there is one, ending in
    an ellipsis, and never inside [...]: a citation marker is kept whole or left out."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ""
    cut = text[: limit - len(ELLIPSIS)]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary > 0 and boundary >= max(len(cut) - 20, len(cut) * 2 // 3):
        cut = cut[:boundary]
    if cut.rfind("[") > cut.rfind("]"):
        cut = cut[: cut.rfind("[")]
    cut = cut.rstrip(" |,·\n")
    return cut + ELLIPSIS if cut else ""


def _shorten_lines(text: str, limit: int) -> str:
    """A text longer than ``limit``: whole lines while they fit (each keeps its citation marker), then as much of
    the next line as fits, ending in an ellipsis since more followed."""
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        separator = 1 if kept else 0
        if used + separator + len(line) <= limit - len(ELLIPSIS):
            kept.append(line)
            used += separator + len(line)
            continue
        room = limit - used - separator
        piece = shorten(line, min(room, len(line) - 1)) if room > 10 else ""
        if piece:
            kept.append(piece)
        elif kept:
            kept[-1] += ELLIPSIS
        break
    return "\n".join(kept) or shorten(text, limit)


def _excerpt_start(citation: Citation, quote: str, answer: str) -> int:
    """Where the quote says what the answer took from it: the first answer line citing it, found in the quote."""
    for line in answer.split("\n"):
        if f"[{citation.n}]" not in line:
            continue
        said = one_line(_MARKER.sub("", line))
        position = quote.find(said) if len(said) >= 4 else -1
        if position >= 0:
            return position
    return 0


# from the richest rendering of the sources to the barest: (evidence characters, whether the section is named)
_DETAIL = ((160, True), (100, True), (60, True), (30, True), (0, True), (0, False))
_SHORT_EVIDENCE = 3
EXCERPT_CHARS = 60  # of the quote, for a source that has no evidence
EVIDENCE_SEPARATOR = " / "


def _section_path(section: str) -> list[str]:
    """The headings of a section path, outermost first."""
    return [part.strip() for part in one_line(section).split(SECTION_SEPARATOR.strip()) if part.strip()]


def _support(citation: Citation, response: AnswerResponse, answer: str) -> str:
    """What the source line shows of ``citation``: its evidence spans, or else a short excerpt of its quote where
    the answer's line is."""
    spans = [one_line(ev.text) for ev in sorted(response.evidence, key=lambda ev: ev.start)
             if ev.n == citation.n and ev.doc == citation.doc]
    if spans := [span for span in dict.fromkeys(spans) if span]:
        return EVIDENCE_SEPARATOR.join(spans)
    quote = one_line(citation.text)
    return shorten(quote[_excerpt_start(citation, quote, answer):], EXCERPT_CHARS)


def _source_renderer(citation: Citation, response: AnswerResponse, answer: str) -> Callable[[int], str]:
    """The one line of ``citation`` at a detail level of _DETAIL. The plain title, section and evidence are worked
    out once and each level is cut once: compacting tries many combinations of the same few lines."""
    title = shorten(one_line(citation.title), 60)
    sections = _section_path(citation.section)
    leaf = shorten(sections[-1], 40) if sections and sections[-1] != one_line(citation.title) else ""
    if citation.location:  # "p. 12": where to look in the file the user may open
        title = f"{title} ({citation.location})"
    support = _support(citation, response, answer)

    @functools.cache
    def render(level: int) -> str:
        chars, named = _DETAIL[level]
        head = f"[{citation.n}] {title} · {leaf}" if named and leaf else f"[{citation.n}] {title}"
        excerpt = shorten(support, chars) if chars > 0 else ""
        return f"{head} — “{excerpt}”" if excerpt else head

    return render


def skill_text(response: AnswerResponse, limit: int = SIMPLE_TEXT_MAX_CHARS) -> str:
    """The answer, then one line per numbered source, in at most ``limit`` characters."""
    answer = plain_text(response.answer) or ERROR_TEXT
    if len(answer) > limit:
        return _shorten_lines(answer, limit)
    citations = sorted(response.citations, key=lambda c: c.n)
    if not citations:
        return answer
    heading = NEAREST_HEADING if response.abstained else SOURCES_HEADING
    sources = [_source_renderer(citation, response, answer) for citation in citations]

    def render(details: list[int], left_out: int = 0) -> str:
        lines = [answer, "", heading, *(source(level) for source, level in zip(sources[:len(details)], details, strict=True))]
        if left_out:
            lines.append(f"외 {left_out}건")
        return "\n".join(lines)

    barest = len(_DETAIL) - 1
    for level in range(len(_DETAIL)):
        if len(render([level] * len(citations))) <= limit:
            break
    else:
        for keep in range(len(citations) - 1, 0, -1):
            if len(text := render([barest] * keep, len(citations) - keep)) <= limit:
                return text
        return answer
    # the room left goes to the first sources: a short evidence for each first, then longer ones
    details = [level] * len(citations)
    for richest in (_SHORT_EVIDENCE, 0):
        for i in range(len(citations)):
            for richer in range(richest, details[i]):
                if len(render(details[:i] + [richer] + details[i + 1:])) <= limit:
                    details[i] = richer
                    break
    return render(details)


def _label(text: str) -> str:
    text = one_line(text)
    if len(text) <= QUICK_REPLY_LABEL_MAX_CHARS:
        return text
    return shorten(text, QUICK_REPLY_LABEL_MAX_CHARS) or text[: QUICK_REPLY_LABEL_MAX_CHARS - 1] + ELLIPSIS


def _reply(label: str, message: str) -> QuickReply | None:
    label, message = _label(label), shorten(one_line(message), MAX_QUESTION_CHARS)
    return QuickReply(label=label, message_text=message) if label and message else None


def _topic(text: str) -> str:
    """A program or section name as words of a question: no table bars or brackets."""
    return " ".join(re.sub(r"[|\[\]()<>\"'“”‘’]", " ", one_line(text)).split())


def follow_up_replies(response: AnswerResponse, index: LoadedIndex) -> list[QuickReply]:
    """Buttons for the next question: other contacts and the schedule of the program just answered about, or,
    when the assistant abstained, the nearest sections it found."""
    if response.abstained:
        replies: list[QuickReply | None] = []
        for section in response.suggestions:
            if parts := _section_path(section):
                replies.append(_reply(parts[-1], _topic(" ".join(parts[-2:]))))
        return _distinct(replies)
    if not response.citations:
        return []
    best = min(response.citations, key=lambda c: c.n)
    contact_id = index.served_by.get(best.chunk_id)
    contacts = index.contacts.get(contact_id, []) if contact_id else []
    program = contacts[0].program if contacts and contacts[0].program else (_section_path(best.section) or [""])[-1]
    document = index.documents.get(best.doc, {})
    topic = _topic(f"{document.get('organization', '')} {program}")
    replies: list[QuickReply | None] = []
    if contacts:
        if response.intent != "contact":
            replies.append(_reply("담당자 연락처", f"{topic} 담당자 연락처"))
        answered = {fact.get("role") for fact in response.facts if fact.get("type") == "contact"}
        for role in dict.fromkeys(r.role for r in contacts if r.role and r.role not in answered):
            replies.append(_reply(f"{role} 연락처", f"{topic} {role} 연락처"))
    page = {chunk_id for chunk_id, served in index.served_by.items() if contact_id and served == contact_id}
    has_schedule = any(s.chunk_id in page or (s.doc_id == best.doc and s.section == best.section)
                       for s in index.schedules)
    if has_schedule and response.intent != "schedule":
        replies.append(_reply("추진 일정", f"{topic} 일정"))
    return _distinct(replies)


def retry_replies(utterance: str) -> list[QuickReply]:
    """After a time-out: the same question again, one tap away."""
    return _distinct([_reply("다시 질문하기", utterance)])


def _distinct(replies: list[QuickReply | None]) -> list[QuickReply]:
    labels: set[str] = set()
    messages: set[str] = set()
    unique = []
    for reply in replies:
        if reply is not None and reply.label not in labels and reply.message_text not in messages:
            labels.add(reply.label)
            messages.add(reply.message_text)
            unique.append(reply)
    return unique[:QUICK_REPLIES_MAX]

"""The OpenAI chat protocol over the assistant: conversations, the cited Markdown answer, its stream pieces.

OpenAI clients keep no session: they resend the whole conversation with every request. The topic a follow-up
("그 사업 담당자는?") refers to is therefore computed from that history, not from a session the client cannot
name. The state after each user turn is remembered in the assistant's session memory under a key that hashes the
user and every user message up to that turn, so it is a function of the history alone:

- a regenerated answer, or an edited earlier message (a new branch), resolves against its own history, never
  against whatever the conversation said last on another branch;
- two conversations share a state only if they are the same questions from the same user (and then the state is
  the same anyway);
- when the state is not remembered (the server restarted, the session expired, the conversation began elsewhere),
  the earlier user turns are replayed (at most ``MAX_REPLAY``) to rebuild it.

The keys of all the turns are one running hash (``conversation_keys``): each turn's key hashes the key before it
and the turn's question, length-prefixed, so it still stands for the user and the whole history up to the turn,
and the keys of n turns cost O(total length), not the O(n²) of hashing every prefix anew. The number of messages
a request may hold is capped as well (``MAX_MESSAGES``).

A key of the first message only, or of the ``user`` field alone, would get all three wrong: a user's every
conversation, every branch of one conversation and the front end's own background requests (titles, tags) would
share one "last topic".
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass

from assistant.analysis import count_tokens
from assistant.answering import AnswerResponse
from assistant.answering.models import Citation, Evidence
from assistant.api.errors import encodable_text
from assistant.api.schemas.openai import PROMPT_COUNT_CHARS, ChatMessage, Usage
from assistant.service import Assistant, QuestionError, check_question

MAX_REPLAY = 6  # earlier user turns replayed to rebuild a forgotten state; older ones are taken as no topic
STREAM_PIECE_CHARS = 20


class ChatAPIError(Exception):
    """A request this protocol refuses, with what the OpenAI error object says about it."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict:
        # the message or param may quote the request, and a request can hold what UTF-8 cannot (a lone surrogate)
        param = encodable_text(self.param) if self.param is not None else None
        return {"error": {"message": encodable_text(self.message), "type": self.type, "param": param,
                          "code": self.code}}


@dataclass(frozen=True)
class ChatAnswer:
    response: AnswerResponse
    content: str
    usage: Usage


def message_text(message: ChatMessage) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    return "\n".join(part.text for part in message.content if part.type == "text" and part.text)


def user_questions(messages: list[ChatMessage]) -> list[str]:
    """The user turns of the conversation, the question last; refuses a request without a usable question.

    An earlier turn the assistant would refuse (no text, too long) is left out: it changed no state then either.
    """
    users = [message_text(m).strip() for m in messages if m.role == "user"]
    if not users:
        raise ChatAPIError(400, "messages에 사용자 질문(role이 'user'인 메시지)이 없습니다.", param="messages",
                           code="no_user_message")
    try:
        question = check_question(users[-1])
    except QuestionError as exc:
        code = "empty_question" if exc.reason == "empty" else "question_too_long"
        raise ChatAPIError(400, exc.user_message, param="messages", code=code) from exc
    return [q for q in users[:-1] if _is_question(q)] + [question]


def _is_question(text: str) -> bool:
    try:
        check_question(text)
    except QuestionError:
        return False
    return True


def _chained(previous: bytes, text: str) -> bytes:
    # length-prefixed: ("ab", "c") and ("a", "bc") never chain to the same key
    data = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(previous + len(data).to_bytes(8, "big") + data).digest()


def conversation_keys(user: str | None, questions: list[str]) -> list[str]:
    """The session the state after each of ``questions`` is remembered under, in one pass: the key of turn i
    is a hash of the key of turn i-1 and question i, the chain starting from a hash of the user, so it depends
    on the user and on every question up to turn i, and on nothing else."""
    state = _chained(b"openai-conversation", user or "")
    keys = []
    for question in questions:
        state = _chained(state, question)
        keys.append(f"openai:{state.hex()[:32]}")
    return keys


def answer_conversation(assistant: Assistant, questions: list[str], user: str | None = None) -> AnswerResponse:
    """The answer to the last question, each follow-up resolved against the user turns before it."""
    keys = conversation_keys(user, questions)
    last = len(questions) - 1
    # a turn that abstained leaves no state of its own, so "not remembered" may also mean "no topic": bounded
    first = last
    while first > 0 and last - first < MAX_REPLAY and assistant.sessions.last(keys[first - 1]) is None:
        first -= 1
    if first < last:
        replaying = _without_writer(assistant)
        for turn in range(first, last):
            _ask_turn(replaying, questions[turn], keys[turn - 1] if turn else None, keys[turn])
    return _ask_turn(assistant, questions[last], keys[last - 1] if last else None, keys[last])


def _without_writer(assistant: Assistant) -> Assistant:
    """The assistant without its LLM writer, for replayed turns: only the topic their answer leaves is needed,
    and the extractive answer leaves it without a model call per turn."""
    if assistant.writer is None:
        return assistant
    extractive = copy.copy(assistant)  # shallow: the same index snapshot and, above all, the same session memory
    extractive.writer = None
    return extractive


def _ask_turn(assistant: Assistant, question: str, before: str | None, after: str) -> AnswerResponse:
    """Ask ``question`` in the state remembered under ``before``, leaving the resulting state under ``after``."""
    previous = assistant.sessions.last(before) if before else None
    if previous is not None:
        assistant.sessions.remember(after, previous.question, previous.topic)  # overwrites a regenerated turn's
        return assistant.ask(question, session_id=after)
    if assistant.sessions.last(after) is None:
        return assistant.ask(question, session_id=after)
    # asked before from no topic (a regenerated answer): its resulting state is already there, and the state a
    # session has after the question must not be read as the state before it
    return assistant.ask(question)


# Markdown front ends turn the content into HTML, and the answer and the quotes are document text: untrusted.
# Escaped are what would become markup rather than text (a tag, a comment, an autolink, a character reference,
# a link or image, a link definition), and every backslash: a backslash of the text's own would otherwise escape
# the escaping one (text "\<img>" would become "\\<img>": a literal backslash, then live HTML). An escaped
# backslash reads as one backslash, so the text still shows verbatim.
_MARKUP = re.compile(r"\\|<(?=[A-Za-z/!?])|&(?=#?\w+;)|\](?=\()|\](?=:)")


def markdown_safe(text: str) -> str:
    return _MARKUP.sub(lambda m: "\\" + m.group(0), text)


EVIDENCE_CHARS = 300  # a footnote quotes at most this much of its evidence
EXCERPT_CHARS = 100  # or of its quote, when the answer gave no evidence for it


def _one_line(text: str) -> str:
    """Document text on one line: table cells joined by " | ", runs of white space made one space."""
    return " ".join(" | ".join(cell.strip() for cell in line.split("\t") if cell.strip())
                    for line in text.splitlines() if line.strip())


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a space near the end if there is one, ending in an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if (space := cut.rfind(" ")) >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" |,·") + "…"


def _where(citation: Citation) -> str:
    """Title · section, the section less the document's own title heading."""
    section = citation.section.removeprefix(f"{citation.title} > ") if citation.title else citation.section
    parts = (citation.title, "" if section == citation.title else section, citation.location)
    return " · ".join(part for part in parts if part)


def footnote(citation: Citation, evidence: list[Evidence]) -> str:
    """'[n]: title · section — “evidence”' for one source, its texts through ``markdown_safe``; without evidence, a
    short excerpt of the quote. Not a Markdown block of its own: see ``format_content``."""
    spans = list(dict.fromkeys(span for ev in sorted(evidence, key=lambda ev: ev.start)
                               if ev.n == citation.n and ev.doc == citation.doc and (span := _one_line(ev.text))))
    said = _shorten(" / ".join(spans), EVIDENCE_CHARS) if spans else _shorten(_one_line(citation.text), EXCERPT_CHARS)
    return f"[{citation.n}]: {markdown_safe(_where(citation))}" + (f" — “{markdown_safe(said)}”" if said else "")


# a hard line break: each footnote on a line of its own within the paragraph the sources heading opens. Inside a
# paragraph "[1]: ..." is text, since a link reference definition cannot interrupt a paragraph; each footnote is one
# line (its texts on one line), so none of them starts a block either.
_LINE_BREAK = "  \n"


def format_content(response: AnswerResponse) -> str:
    """The short answer with its [n] markers, then the sources heading and one footnote line per source (title,
    section and the evidence the answer rests on), in Markdown."""
    content = markdown_safe(response.answer.strip())
    if response.citations:
        heading = "**가까운 출처**" if response.abstained else "**출처**"
        content += "\n\n" + _LINE_BREAK.join([heading, *(footnote(c, response.evidence) for c in response.citations)])
    return content


def stream_pieces(content: str, size: int = STREAM_PIECE_CHARS) -> list[str]:
    """The content in pieces of about ``size`` characters, cut after whitespace; they join back to the content."""
    pieces: list[str] = []
    current = ""
    for word in re.findall(r"\S+\s*|\s+", content):
        if current and len(current) + len(word) > size:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return pieces


def prompt_tokens(messages: list[ChatMessage]) -> int:
    """The Kiwi tokens of every message's text: the first PROMPT_COUNT_CHARS characters counted, the rest
    estimated at the same tokens per character."""
    counted_chars = tokens = rest = 0
    for message in messages:
        text = message_text(message)
        head = text[: max(0, PROMPT_COUNT_CHARS - counted_chars)]
        if head:
            tokens += count_tokens(head)
            counted_chars += len(head)
        rest += len(text) - len(head)
    if rest and counted_chars:
        tokens += round(rest * tokens / counted_chars)
    return tokens


def complete(assistant: Assistant, messages: list[ChatMessage], user: str | None) -> ChatAnswer:
    """Blocking: the answer, its Markdown content and the token counts (run in a worker thread)."""
    questions = user_questions(messages)
    response = answer_conversation(assistant, questions, user)
    content = format_content(response)
    prompt = prompt_tokens(messages)
    completion = count_tokens(content)
    return ChatAnswer(response, content, Usage(prompt_tokens=prompt, completion_tokens=completion,
                                               total_tokens=prompt + completion))

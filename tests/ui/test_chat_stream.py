"""The chat callback over the real assistant: the answer streams in growing pieces, then comes with its sources."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import ROOT

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui.app import EXAMPLE_QUESTIONS, FOLLOW_UP_EXAMPLE, chat_responder


@pytest.fixture(scope="module")
def assistant(corpus_index) -> Assistant:
    return Assistant(Settings(index_dir=corpus_index, cache_dir=ROOT / "index" / "cache"))


def answer_part(markup: str) -> str:
    """The answer of a message, which is in bold."""
    return re.search(r'<div class="answer-text"><strong>(.*?)</strong></div>', markup, re.S).group(1)


def test_the_answer_streams_then_arrives_with_its_citations(assistant):
    question = EXAMPLE_QUESTIONS[1]
    expected = assistant.ask(question)
    respond = chat_responder(lambda: assistant)
    updates = list(respond(question, [], None))

    first_history, box, notice, _, session_id = updates[0]
    assert session_id.startswith("ui-") and box == "" and notice == ""
    assert [m["role"] for m in first_history] == ["user", "assistant"]
    assert all(update[4] == session_id for update in updates)

    streamed = [answer_part(update[0][-1]["content"]) for update in updates[1:-1]]
    final = updates[-1][0][-1]["content"]
    whole = answer_part(final)
    assert len(streamed) >= 2
    assert all(len(a) < len(b) for a, b in zip(streamed, streamed[1:], strict=False))
    assert all(whole.startswith(part) and len(part) < len(whole) for part in streamed)
    assert html.unescape(whole.replace("<br>", "\n")) == expected.answer.replace("\t", " · ")
    assert not any("<details" in update[0][-1]["content"] for update in updates[:-1])
    assert len(re.findall(r'<details class="citation"[ >]', final)) == len(expected.citations) > 0
    assert final.count(" open>") <= 1  # at most the first source opens by itself


def test_a_follow_up_in_the_same_session_keeps_the_topic(assistant):
    respond = chat_responder(lambda: assistant)
    *_, (history, _, _, _, session_id) = respond(EXAMPLE_QUESTIONS[0], [], None)
    *_, (history, _, _, _, same) = respond(FOLLOW_UP_EXAMPLE, history, session_id)
    assert same == session_id and len(history) == 4
    first, follow_up = history[1]["content"], history[3]["content"]
    topic = re.search(r"<summary>(.*?)</summary>", first).group(1)
    assert re.search(r"<summary>(.*?)</summary>", follow_up).group(1) == topic


def test_a_bad_question_changes_nothing_but_the_notice(assistant):
    respond = chat_responder(lambda: assistant)
    history = [{"role": "user", "content": "앞 질문"}, {"role": "assistant", "content": "앞 답"}]
    (update,) = list(respond("  ", history, "ui-x"))
    assert update[0] == history and "입력해" in update[2] and update[4] == "ui-x"


def test_the_examples_are_questions_of_the_qa_set():
    questions = {json.loads(line)["question"]
                 for line in (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()}
    assert set(EXAMPLE_QUESTIONS) <= questions

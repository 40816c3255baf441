"""POST /v1/chat/completions and GET /v1/models, through the official ``openai`` client against a real server.

Expected answers come from the Q&A set and from ``POST /v1/ask`` on the same server, never from this file.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import httpx
import openai
import pytest
from conftest import free_port, running_server
from fake_openai import FakeOpenAIServer, requests_seen
from markdown_it import MarkdownIt
from openai import OpenAI

from assistant.answering.models import AnswerResponse, Citation, Evidence
from assistant.api.openai_chat import format_content, markdown_safe
from assistant.service import MAX_QUESTION_CHARS

QA = {q["id"]: q for q in map(json.loads, (Path(__file__).parents[2] / "eval" / "qa.jsonl").open(encoding="utf-8"))}
PHONE_QUESTION = "gy-009"  # gold key strings: a name and a phone number
DATE_QUESTION = "gy-017"  # gold key string: a date

# two programs, and a follow-up that only makes sense after one of them
FIRST = "고양시정연구원 학술행사는 어떤 사업이야?"
OTHER = "파주 공모사업 관리는 어떻게 해?"
FOLLOW_UP = "그 사업 담당자 연락처는?"


@pytest.fixture(scope="module")
def client(server_url) -> OpenAI:
    return OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def http(server_url):
    with httpx.Client(base_url=server_url, timeout=60) as http:
        yield http


def chat(client: OpenAI, questions: list[str], **kwargs) -> list[openai.types.chat.ChatCompletion]:
    """Each question in turn, resending the whole conversation as chat clients do."""
    messages: list[dict] = [{"role": "system", "content": "문서에 근거해 답하세요."}]
    completions = []
    for question in questions:
        messages.append({"role": "user", "content": question})
        completion = client.chat.completions.create(model="plan-assistant", messages=messages, **kwargs)
        messages.append({"role": "assistant", "content": completion.choices[0].message.content})
        completions.append(completion)
    return completions


def ask_in_session(http: httpx.Client, questions: list[str]) -> dict:
    """The last answer of ``POST /v1/ask`` for the questions asked in turn in a new session."""
    session = f"test-{uuid.uuid4().hex}"
    for question in questions:
        answer = http.post("/v1/ask", json={"question": question, "session_id": session})
        assert answer.status_code == 200, answer.text
    return answer.json()


def answer_part(completion) -> str:
    """The answer before the sources."""
    return completion.choices[0].message.content.split("\n\n**")[0]


@pytest.mark.parametrize("qa_id", [PHONE_QUESTION, DATE_QUESTION])
def test_the_answer_quotes_its_sources_like_ask(client, http, qa_id):
    qa = QA[qa_id]
    completion = client.chat.completions.create(model="anything", messages=[{"role": "user", "content": qa["question"]}])
    content = completion.choices[0].message.content
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    assert completion.choices[0].finish_reason == "stop" and completion.choices[0].message.role == "assistant"
    for key in qa["must_contain"]:
        assert key in content
    assert "[1]" in content

    ask = http.post("/v1/ask", json={"question": qa["question"]}).json()
    assert content.startswith(markdown_safe(ask["answer"]) + "\n\n**출처**  \n")  # the short answer first
    citations = completion.model_extra["citations"]
    assert citations and completion.model_extra["abstained"] is False
    assert [(c["n"], c["chunk_id"], c["text"]) for c in citations] == \
        [(c["n"], c["chunk_id"], c["text"]) for c in ask["citations"]]
    footnotes = content.split("\n\n", 1)[1].split("  \n")[1:]
    assert len(footnotes) == len(citations)  # one line per source
    for citation, line in zip(citations, footnotes, strict=True):
        assert line.startswith(f"[{citation['n']}]: {citation['title']} · ")
        evidence = [e["text"] for e in ask["evidence"] if e["n"] == citation["n"]]
        for text in evidence:  # what the answer rests on, quoted on the source's line, not the whole quote
            assert " ".join(text.replace("\t", " | ").split()) in line
        if evidence and len(citation["text"]) > 300:
            assert " ".join(citation["text"].split()) not in " ".join(line.split())

    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_streamed_pieces_join_to_the_same_content(client):
    messages = [{"role": "user", "content": QA[PHONE_QUESTION]["question"]}]
    whole = client.chat.completions.create(model="plan-assistant", messages=messages)
    chunks = list(client.chat.completions.create(model="plan-assistant", messages=messages, stream=True,
                                                 stream_options={"include_usage": True}))
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3  # streamed in pieces, not in one
    assert "".join(pieces) == whole.choices[0].message.content
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finished) == 1 and finished[0].choices[0].finish_reason == "stop"
    assert finished[0].model_extra["citations"] == whole.model_extra["citations"]
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])

    without = list(client.chat.completions.create(model="plan-assistant", messages=messages, stream=True))
    assert all(c.usage is None and c.choices for c in without)


def test_the_stream_is_server_sent_events_ending_with_done(http):
    body = {"model": "plan-assistant", "stream": True,
            "messages": [{"role": "user", "content": QA[DATE_QUESTION]["question"]}]}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    assert all(json.loads(line[6:])["object"] == "chat.completion.chunk" for line in events[:-1])


def test_a_follow_up_resolves_against_its_own_conversation(client, http):
    # two conversations at once, each replaying its history, interleaved
    first, other = chat(client, [FIRST]), chat(client, [OTHER])
    followed_first = chat(client, [FIRST, FOLLOW_UP])[-1]
    followed_other = chat(client, [OTHER, FOLLOW_UP])[-1]
    assert answer_part(followed_first) == markdown_safe(ask_in_session(http, [FIRST, FOLLOW_UP])["answer"])
    assert answer_part(followed_other) == markdown_safe(ask_in_session(http, [OTHER, FOLLOW_UP])["answer"])
    assert not followed_first.model_extra["abstained"] and not followed_other.model_extra["abstained"]
    assert answer_part(followed_first) != answer_part(followed_other)
    docs = [c.model_extra["citations"][0]["doc"] for c in (first[0], followed_first, other[0], followed_other)]
    assert docs[0] == docs[1] != docs[2] == docs[3]  # each follow-up stays with its own question's document

    alone = chat(client, [FOLLOW_UP])[-1]  # no history: which program is meant is asked back, as /v1/ask does
    assert alone.model_extra["abstained"]
    assert answer_part(alone) == markdown_safe(http.post("/v1/ask", json={"question": FOLLOW_UP}).json()["answer"])


def test_an_edited_or_regenerated_turn_resolves_against_its_own_history(client, http):
    user = f"editor-{uuid.uuid4().hex}"
    long_branch = chat(client, [FIRST, OTHER, FOLLOW_UP], user=user)[-1]
    assert answer_part(long_branch) == markdown_safe(ask_in_session(http, [FIRST, OTHER, FOLLOW_UP])["answer"])
    # the user edits the second message into the follow-up: that branch never asked about OTHER
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "..."},
               {"role": "user", "content": FOLLOW_UP}]
    edited = client.chat.completions.create(model="plan-assistant", messages=history, user=user)
    assert answer_part(edited) == markdown_safe(ask_in_session(http, [FIRST, FOLLOW_UP])["answer"])
    assert answer_part(edited) != answer_part(long_branch)
    # regenerating the last answer of the long branch gives it again
    again = chat(client, [FIRST, OTHER, FOLLOW_UP], user=user)[-1]
    assert answer_part(again) == answer_part(long_branch)


def test_a_conversation_the_server_never_saw_is_replayed(client, http):
    """History sent whole to a server that does not remember it (restarted, expired, begun elsewhere)."""
    history = [{"role": "user", "content": [{"type": "text", "text": OTHER}]},
               {"role": "assistant", "content": "이전 답변"},
               {"role": "user", "content": FOLLOW_UP}]
    for user in (f"new-{uuid.uuid4().hex}", f"new-{uuid.uuid4().hex}"):
        completion = client.chat.completions.create(model="plan-assistant", messages=history, user=user)
        assert answer_part(completion) == markdown_safe(ask_in_session(http, [OTHER, FOLLOW_UP])["answer"])
        assert not completion.model_extra["abstained"]


def test_earlier_turns_the_assistant_would_refuse_are_left_out(client, http):
    history = [{"role": "user", "content": "가" * (MAX_QUESTION_CHARS + 1)}, {"role": "user", "content": "  "},
               {"role": "user", "content": OTHER}, {"role": "user", "content": "나" * (MAX_QUESTION_CHARS + 1)},
               {"role": "user", "content": FOLLOW_UP}]
    completion = client.chat.completions.create(model="plan-assistant", messages=history, user=uuid.uuid4().hex)
    assert answer_part(completion) == markdown_safe(ask_in_session(http, [OTHER, FOLLOW_UP])["answer"])
    assert not completion.model_extra["abstained"]


@pytest.fixture(scope="module")
def writer_server(corpus_index):
    """A server whose answers an OpenAI-compatible model on 127.0.0.1 rewrites (LLM mode)."""
    with FakeOpenAIServer(free_port()) as llm, running_server(corpus_index, env={
        "ASSISTANT_LLM_BASE_URL": llm.url, "ASSISTANT_LLM_MODEL": "good", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
    }) as (url, _):
        yield url


def test_a_replayed_turn_costs_no_llm_call(writer_server):
    client = OpenAI(base_url=f"{writer_server}/v1", api_key="unused", max_retries=0, timeout=60)
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "이전 답변"},
               {"role": "user", "content": OTHER}, {"role": "assistant", "content": "이전 답변"},
               {"role": "user", "content": FOLLOW_UP}]
    seen = len(requests_seen)
    completion = client.chat.completions.create(model="plan-assistant", messages=history, user=uuid.uuid4().hex)
    asked = [re.search(r"\[질문\]\n(.*)", r["messages"][-1]["content"], re.S).group(1) for r in requests_seen[seen:]]
    assert asked == [FOLLOW_UP]  # the two replayed turns were answered without the model
    # and still left their topic: the follow-up stays with OTHER's document
    assert not completion.model_extra["abstained"]
    assert completion.model_extra["citations"][0]["doc"] == \
        client.chat.completions.create(model="plan-assistant", messages=history[2:3]).model_extra["citations"][0]["doc"]


def test_the_models_list_names_the_assistant(client):
    models = client.models.list().data
    assert [m.id for m in models] == ["plan-assistant"]
    assert client.models.retrieve("plan-assistant").owned_by
    with pytest.raises(openai.NotFoundError) as error:
        client.models.retrieve("gpt-4o")
    assert "plan-assistant" in error.value.message


@pytest.mark.parametrize(("messages", "code", "says"), [
    ([], "empty_messages", "messages가 비어"),
    ([{"role": "system", "content": "요약해 주세요"}], "no_user_message", "사용자 질문"),
    ([{"role": "user", "content": "가" * (MAX_QUESTION_CHARS + 1)}], "question_too_long",
     f"({MAX_QUESTION_CHARS + 1:,}자). {MAX_QUESTION_CHARS:,}자 이내"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}], "empty_question",
     "질문을 입력해"),
    ([{"role": "robot", "content": "안녕"}], "invalid_value", "messages.0.role"),
])
def test_bad_requests_raise_the_sdk_error_with_a_clear_message(client, messages, code, says):
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="plan-assistant", messages=messages)
    assert error.value.code == code and error.value.type == "invalid_request_error"
    assert says in error.value.message


def test_malformed_json_gets_the_openai_error_shape_on_this_router_only(http):
    broken = http.post("/v1/chat/completions", content=b'{"model": "x", "messages": [',
                       headers={"content-type": "application/json"})
    assert broken.status_code == 400
    error = broken.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == "invalid_json"
    assert "JSON" in error["message"]
    not_json = http.post("/v1/chat/completions", content=b"question=hi",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 400 and "application/json" in not_json.json()["error"]["message"]
    # the rest of the API keeps its own format
    elsewhere = http.post("/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert elsewhere.status_code == 422 and "detail" in elsewhere.json()


def test_errors_the_framework_raises_get_the_openai_error_shape(http):
    not_utf8 = '{"messages": [{"role": "user", "content": "연락처"}]}'.encode("euc-kr")
    refused = http.post("/v1/chat/completions", content=not_utf8, headers={"content-type": "application/json"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_encoding" and "UTF-8" in refused.json()["error"]["message"]
    elsewhere = http.post("/v1/ask", content=not_utf8, headers={"content-type": "application/json"})
    assert "detail" in elsewhere.json() and "error" not in elsewhere.json()

    cap = 1024 * 1024  # the default ASSISTANT_MAX_BODY_BYTES of the shared server

    def chunks():  # no Content-Length: the cap is met while the route reads the body
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(cap // 4096 + 1):
            yield b"a" * 4096
        yield b'"}]}'

    too_large = http.post("/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"})
    assert too_large.request.headers.get("transfer-encoding") == "chunked"
    assert too_large.status_code == 413
    error = too_large.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == "request_too_large"
    assert f"{cap:,}" in error["message"]


def render_content(response: AnswerResponse, allowed_tags: str) -> str:
    """The chat content as a CommonMark client renders it; asserts no element but the Markdown's own, returns the
    text a reader sees."""
    rendered = MarkdownIt("commonmark").render(format_content(response))
    assert not re.search(rf"<(?!/?(?:{allowed_tags})>)", rendered)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def test_document_text_never_becomes_markup_in_the_content():
    quote = ("연락처 <script>alert(1)</script> &amp; [자료](javascript:alert(1)) <대전스토리투어>\n - 담당 ☎ 8073-8344\n"
             "[1]: http://evil.example")
    evidence = Evidence(n=1, doc="d", start=0, end=quote.index("\n"), text=quote[: quote.index("\n")])
    response = AnswerResponse(answer="담당 ☎ 8073-8344 <img src=x onerror=alert(1)> [1]", citations=[
        Citation(n=1, doc="d", title="문서 <b>제목</b>", section="사업 > <u>세부</u>", text=quote, score=1.0),
        Citation(n=2, doc="d", title="[2]: http://evil.example", section="", text=quote, score=1.0),
    ], evidence=[evidence])
    text = render_content(response, "p|strong|br ?/")
    assert f"[1]: 문서 <b>제목</b> · 사업 > <u>세부</u> — “{evidence.text}”" in text  # the evidence line, as text
    assert "[2]: [2]: http://evil.example — “연락처 <script>" in text  # no evidence: the quote's beginning
    assert "<img src=x onerror=alert(1)>" in text and "담당 ☎ 8073-8344" in text


def test_each_source_is_one_footnote_line_with_its_evidence():
    quote = "사업 개요\n구분\t책임자\t기간\n뷰티산업 연구\t김은영\t01-02\n다음 줄은 인용되지 않습니다"
    row = quote.splitlines()[2]
    start = quote.index(row) + 500
    response = AnswerResponse(answer="연구책임자는 김은영입니다 [1]", citations=[
        Citation(n=1, doc="d", title="2024년 사업계획", section="2024년 사업계획 > 연구 > 과제", text=quote, score=1.0,
                 start=500, end=500 + len(quote)),
        Citation(n=2, doc="e", title="문서", section="문서", text="짧은 인용 " * 40, score=1.0),
    ], evidence=[Evidence(n=1, doc="d", start=start, end=start + len(row), text=row)])
    content = format_content(response)
    assert content.split("\n\n")[0] == "연구책임자는 김은영입니다 [1]"  # the answer first
    heading, first, second = content.split("\n\n")[1].split("  \n")
    assert heading == "**출처**"
    assert first == "[1]: 2024년 사업계획 · 연구 > 과제 — “뷰티산업 연구 | 김은영 | 01-02”"
    # no evidence: a short excerpt of the quote, cut between words
    assert second.startswith("[2]: 문서 — “짧은 인용 짧은 인용") and second.endswith(" 짧은…”") and len(second) < 120
    text = render_content(response, "p|strong|br ?/")
    assert "다음 줄은" not in text  # the evidence, not the whole quote
    assert text.count("\n[") == 2  # each source on a line of its own


def test_a_backslash_in_the_text_does_not_undo_the_escaping():
    quote = ("\\<img src=x onerror=alert(1)>\n\\[x](javascript:alert(1))\n\\![](http://evil.example/x.png)\n"
             "\\\\<b>굵게</b> \\&amp; \\<http://evil.example>")
    first = quote.splitlines()[0]
    response = AnswerResponse(answer="\\<img src=x onerror=alert(1)> [1]", citations=[
        Citation(n=1, doc="d", title="\\[제목](javascript:alert(1))", section="\\<u>세부</u>", text=quote, score=1.0),
        Citation(n=2, doc="d", title="문서", section="", text=first, score=1.0),  # no evidence: the quote itself
    ], evidence=[Evidence(n=1, doc="d", start=0, end=len(quote), text=quote)])
    text = render_content(response, "p|strong|br ?/")  # no element, link or image of the text's
    for line in [*quote.splitlines(), response.answer, response.citations[0].title, response.citations[0].section]:
        assert line in text  # shown verbatim, its backslashes included
    assert f"[2]: 문서 — “{first}”" in text

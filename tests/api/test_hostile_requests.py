"""Requests a hostile (or fuzzing) client sends, each over HTTP to a real `assistant serve` process.

Each one once got a 500, a 404 from the web UI, a silently ignored field or a stalled server; each now gets the
refusal its protocol documents: a 422 whose ``detail`` is FastAPI's HTTPValidationError array, the OpenAI error
object on the chat route, a Kakao skill reply on the Kakao route, a 405 with ``Allow``.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import running_server

from assistant.api.kakao_format import UNREADABLE_TEXT
from assistant.api.schemas.kakao import KakaoSkillResponse
from assistant.api.schemas.openai import MAX_MESSAGES

JSON = {"content-type": "application/json"}
BODY_CAP = 1024 * 1024  # the default ASSISTANT_MAX_BODY_BYTES


@pytest.fixture(scope="module")
def server(corpus_index):
    # the web UI on (the default): a wrong method on an API path used to fall through to the UI mounted at /
    env = {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "0", "ASSISTANT_UI": "true"}
    with running_server(corpus_index, env=env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


def strict_json(response: httpx.Response):
    """The body as standard JSON: UTF-8, no NaN or Infinity (what any other JSON parser insists on)."""

    def refuse(constant: str):
        raise AssertionError(f"{constant} in the response body")

    assert "Traceback" not in response.text
    return json.loads(response.content.decode("utf-8"), parse_constant=refuse)


def assert_validation_error(response: httpx.Response, field: str | None = None) -> list[dict]:
    """A 422 whose detail is the HTTPValidationError FastAPI documents: [{loc: [...], msg, type}, ...]."""
    assert response.status_code == 422, response.text
    detail = strict_json(response)["detail"]
    assert isinstance(detail, list) and detail
    for error in detail:
        assert isinstance(error["loc"], list) and isinstance(error["msg"], str) and isinstance(error["type"], str)
        assert isinstance(error.get("ctx", {}), dict)
    if field is not None:
        assert any(field in error["loc"] for error in detail), detail
    return detail


def post_raw(http: httpx.Client, path: str, content: bytes) -> httpx.Response:
    return http.post(path, content=content, headers=JSON)


# NaN, Infinity and 1e400: json.loads takes them, and the validation error used to echo them into a body that
# cannot be encoded (500)

NON_FINITE = [b"NaN", b"Infinity", b"-Infinity", b"1e400"]


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize("path, template, field", [
    ("/v1/ask", b'{"question": %s}', "question"),
    ("/v1/ask", b'{"question": "\xec\x97\xb0\xeb\x9d\xbd\xec\xb2\x98", "top_k": %s}', "top_k"),
    ("/v1/ask", b'{"question": "x", "session_id": %s}', "session_id"),
    ("/v1/search", b'{"query": %s}', "query"),
    ("/v1/search", b'{"query": "x", "top_k": %s}', "top_k"),
])
def test_non_finite_numbers_get_a_422_that_encodes(http, path, template, field, number):
    assert_validation_error(post_raw(http, path, template % number), field)


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize("template, field", [
    (b'{"userRequest": {"utterance": %s, "user": {"id": "u1"}}}', "utterance"),
    (b'{"userRequest": %s}', "userRequest"),
    (b'{"userRequest": {"utterance": "x", "user": {"id": %s}}}', "id"),
])
def test_non_finite_numbers_in_a_kakao_payload_get_a_4xx_that_encodes(http, template, field, number):
    assert_validation_error(post_raw(http, "/kakao/skill", template % number), field)


def test_a_non_finite_number_in_a_chat_request_gets_the_openai_error(http):
    response = post_raw(http, "/v1/chat/completions",
                        b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}')
    assert response.status_code == 400
    error = strict_json(response)["error"]
    assert error["param"] == "temperature" and error["type"] == "invalid_request_error"


def test_a_body_nested_past_the_recursion_limit_is_refused_like_bad_json(http):
    # json.loads raises RecursionError, which FastAPI answered with a bare 400 the spec does not document
    deep = b'{"question": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"  # under the question routes' 64 KiB cap
    for path in ("/v1/ask", "/v1/search", "/kakao/skill"):
        assert [e["type"] for e in assert_validation_error(post_raw(http, path, deep))] == ["json_invalid"]
    response = post_raw(http, "/v1/chat/completions", deep)
    assert response.status_code == 400 and strict_json(response)["error"]["code"] == "invalid_json"


# a lone surrogate ("\ud800"): not a character; a string holding one cannot be encoded as UTF-8 (500 on the echo,
# or deep in the answer)

SURROGATES = [b'"\\ud800"', b'"abc\\ud800"', b'"\\udfff\xec\x97\xb0\xeb\x9d\xbd\xec\xb2\x98"']


@pytest.mark.parametrize("text", SURROGATES)
@pytest.mark.parametrize("path, template, field", [
    ("/v1/ask", b'{"question": %s}', "question"),
    ("/v1/ask", b'{"question": "\xec\x97\xb0\xeb\x9d\xbd\xec\xb2\x98", "session_id": %s}', "session_id"),
    ("/v1/search", b'{"query": %s}', "query"),
])
def test_a_lone_surrogate_gets_a_422_that_encodes(http, path, template, field, text):
    assert_validation_error(post_raw(http, path, template % text), field)


@pytest.mark.parametrize("text", SURROGATES)
@pytest.mark.parametrize("template, param", [
    (b'{"messages": [{"role": "user", "content": %s}]}', "messages.0.content"),
    (b'{"messages": [{"role": "user", "content": [{"type": "text", "text": %s}]}]}', "messages.0.content"),
    (b'{"messages": [{"role": "user", "content": "hi"}], "user": %s}', "user"),
])
def test_a_lone_surrogate_in_a_chat_request_gets_the_openai_error(http, template, param, text):
    response = post_raw(http, "/v1/chat/completions", template % text)
    assert response.status_code == 400, response.text
    error = strict_json(response)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param and error["code"] == "invalid_text"


@pytest.mark.parametrize("text", SURROGATES)
@pytest.mark.parametrize("template", [
    b'{"userRequest": {"utterance": %s, "user": {"id": "u1"}}}',
    b'{"userRequest": {"utterance": "hi", "user": {"id": %s}}}',
])
def test_a_lone_surrogate_in_a_kakao_payload_gets_a_skill_reply(http, template, text):
    response = post_raw(http, "/kakao/skill", template % text)
    assert response.status_code == 200, response.text  # the platform shows a 4xx as a bare failure
    reply = KakaoSkillResponse.model_validate(strict_json(response))
    assert reply.template.outputs[0].simple_text.text == UNREADABLE_TEXT


# denial of service: ~35,000 one-letter messages in 1 MiB cost ~34 s of CPU when every prefix of the conversation
# was hashed anew, and 40 of them starved every other route


def many_messages_body(count: int | None = None) -> bytes:
    """``count`` one-letter user messages (as many as fit the body cap when None), compact JSON."""
    message = b'{"role":"user","content":"a"}'
    if count is None:
        count = (BODY_CAP - 64) // (len(message) + 1)
    return b'{"messages":[' + b",".join([message] * count) + b"]}"


def test_a_conversation_over_the_message_cap_is_refused(http):
    body = many_messages_body()
    assert len(body) <= BODY_CAP and body.count(b'"user"') > 30_000
    response = post_raw(http, "/v1/chat/completions", body)
    assert response.status_code == 400, response.text
    error = strict_json(response)["error"]
    assert error["code"] == "too_many_messages" and error["param"] == "messages"
    assert post_raw(http, "/v1/chat/completions", many_messages_body(MAX_MESSAGES + 1)).status_code == 400


def test_a_conversation_at_the_message_cap_is_answered(http):
    response = post_raw(http, "/v1/chat/completions", many_messages_body(MAX_MESSAGES))
    assert response.status_code == 200, response.text
    assert strict_json(response)["choices"][0]["message"]["content"]


def test_forty_floods_in_flight_do_not_stop_healthz(server):
    body = many_messages_body()
    with httpx.Client(base_url=server, timeout=120) as flood, ThreadPoolExecutor(40) as pool:
        floods = [pool.submit(post_raw, flood, "/v1/chat/completions", body) for _ in range(40)]
        # generous timeout: only a starved server (a full worker pool) fails this, not a slow machine
        health = httpx.get(f"{server}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        statuses = [f.result().status_code for f in floods]
    assert statuses == [400] * 40
    assert httpx.get(f"{server}/healthz", timeout=5).status_code == 200


def big_prompt_body() -> bytes:
    """A chat request with a ~900 KB system prompt (100,000 Kiwi tokens: 4 a phrase) and a short question."""
    system = "학술행사 담당자 전화번호 " * 25_000
    return json.dumps({"messages": [{"role": "system", "content": system},
                                    {"role": "user", "content": "학술행사 담당자 전화번호 알려줘"}]},
                      ensure_ascii=False).encode()


def test_forty_large_prompts_in_flight_do_not_stall_the_answers(server):
    # the prompt's tokens were all counted with Kiwi (~6 s a request) under the lock every answer shares
    body = big_prompt_body()
    assert len(body) <= BODY_CAP
    with httpx.Client(base_url=server, timeout=300) as flood, ThreadPoolExecutor(40) as pool:
        floods = [pool.submit(post_raw, flood, "/v1/chat/completions", body) for _ in range(40)]
        # generous: forty answers queue ahead in the worker pool; 40 x 6 s of token counting would not fit
        answer = httpx.post(f"{server}/v1/ask", json={"question": "학술행사 담당자 전화번호 알려줘"}, timeout=60)
        assert answer.status_code == 200 and answer.json()["citations"]
        responses = [f.result() for f in floods]
    assert [r.status_code for r in responses] == [200] * 40
    usage = strict_json(responses[0])["usage"]
    assert 95_000 <= usage["prompt_tokens"] <= 105_000  # the estimate past the counted part is close


# a method the path does not have: 405 with Allow, not the web UI's 404


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/v1/ask", {"POST"}),
    ("GET", "/v1/ask", {"POST"}),
    ("DELETE", "/kakao/skill", {"POST"}),
    ("GET", "/kakao/skill", {"POST"}),
    ("PATCH", "/v1/chat/completions", {"POST"}),
    ("POST", "/healthz", {"GET"}),
    ("DELETE", "/metrics", {"GET"}),
    ("PUT", "/v1/documents/some-document", {"GET", "DELETE"}),
    ("PUT", "/v1/contacts", {"GET"}),
    ("DELETE", "/v1/admin/reindex", {"GET", "POST"}),
])
def test_a_wrong_method_gets_405_with_allow(http, method, path, allowed):
    response = http.request(method, path)
    assert response.status_code == 405, response.text
    assert allowed <= {m.strip() for m in response.headers["allow"].split(",")}
    assert method not in response.headers["allow"]
    body = strict_json(response)
    if path.startswith("/v1/chat/"):  # the OpenAI routes refuse in OpenAI's error object, which their clients read
        assert body["error"]["code"] == "method_not_allowed" and body["error"]["message"]
    else:
        assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.parametrize("path", ["/v1/no-such-route", "/v1/ask/extra", "/kakao/nothing", "/v1", "/healthz/x"])
def test_an_unknown_api_path_is_a_json_404(http, path):
    response = http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(strict_json(response)["detail"], str)
    openai = http.get("/v1/chat/no-such-route")
    assert openai.status_code == 404 and strict_json(openai)["error"]["code"] == "not_found"


def test_the_web_ui_is_still_served_at_the_root(http):
    response = http.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]


# top_k on /v1/ask: accepted and ignored before


@pytest.mark.parametrize("question", ["연구원 예산 비교", "담당자 목록"])
def test_ask_honours_top_k(http, question):
    def chunks_cited(**extra) -> set[str]:
        response = http.post("/v1/ask", json={"question": question, **extra})
        assert response.status_code == 200, response.text
        return {c["chunk_id"] for c in response.json()["citations"]}

    assert len(chunks_cited()) >= 2  # the server's setting reads many chunks, and these answers cite several
    assert len(chunks_cited(top_k=1)) <= 1
    assert assert_validation_error(http.post("/v1/ask", json={"question": question, "top_k": 0}), "top_k")


# the refusals are in the OpenAPI document, with the bodies really sent


def test_the_openapi_document_describes_the_refusals(http):
    spec = http.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in (("/v1/ask", "post"), ("/v1/search", "post"), ("/kakao/skill", "post")):
        responses = paths[path][method]["responses"]
        assert {"413", "422", "429"} <= set(responses)
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/HTTPValidationError")
        assert responses["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")
    assert "404" in paths["/v1/documents/{doc_id}"]["get"]["responses"]
    assert {"401", "404", "409"} <= set(paths["/v1/admin/reindex"]["post"]["responses"])
    assert spec["components"]["schemas"]["ErrorDetail"]["properties"]["detail"]["type"] == "string"


def test_the_ask_route_cannot_reach_a_kakao_users_session(http):
    # a Kakao user's turn is kept under "kakao:<user id>"; /v1/ask with that very id must not resolve against it
    user = "hostile-kakao-user-7"
    turn = http.post("/kakao/skill", json={"userRequest": {"utterance": "고양시정연구원 학술행사는 어떤 사업이야?",
                                                            "user": {"id": user, "type": "botUserKey"}}})
    assert turn.status_code == 200, turn.text
    follow_up = http.post("/v1/ask", json={"question": "그 사업 담당자 연락처는?", "session_id": f"kakao:{user}"})
    assert follow_up.status_code == 200, follow_up.text
    body = follow_up.json()
    assert body["abstained"] and "어떤 사업" in body["answer"] and "노관령" not in body["answer"]
    # the same follow-up in the route's own session does resolve: the refusal above is the namespace, not the words
    http.post("/v1/ask", json={"question": "고양시정연구원 학술행사는 어떤 사업이야?", "session_id": user})
    own = http.post("/v1/ask", json={"question": "그 사업 담당자 연락처는?", "session_id": user}).json()
    assert "노관령" in own["answer"]


def test_question_routes_take_small_bodies_and_the_chat_route_whole_conversations(http):
    # what FastAPI parses on the event loop is bounded by a small cap; the chat route parses its larger bodies
    # in a worker thread
    padding = "가" * 40_000  # 120 KB in UTF-8: over the question routes' 64 KiB, under the chat route's 1 MiB
    for path, body in (("/v1/ask", {"question": "연구원 예산", "session_id": "s", "pad": padding}),
                       ("/v1/search", {"query": "연구원 예산", "pad": padding}),
                       ("/kakao/skill", {"userRequest": {"utterance": "연구원 예산", "user": {"id": "u"}},
                                         "pad": padding})):
        response = http.post(path, json=body)
        assert response.status_code == 413, (path, response.text)
        assert "65536" in (detail := strict_json(response)["detail"]) and "MAX_QUESTION_BODY_BYTES" in detail
    chat = http.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": padding},
                                                                {"role": "user", "content": "연구원 예산"}]})
    assert chat.status_code == 200, chat.text
    assert strict_json(chat)["choices"][0]["message"]["content"]


def test_a_chat_body_that_is_not_json_is_refused_as_before(http):
    response = post_raw(http, "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "a"}')
    assert response.status_code == 400, response.text
    assert strict_json(response)["error"]["code"] == "invalid_json"


def test_role_keys_outside_the_messages_do_not_refuse_a_conversation(http):
    """A flood of messages is refused before its JSON is parsed, by counting the keys spelled "role"; the text
    "role" as a value and role keys in an ignored field (a tool's schema), below twice the cap, do not count
    against a conversation within it."""
    role = {"type": "string", "enum": ["role"]}  # a key and a value spelled "role"
    schema = {"type": "object", "properties": {f"p{i}": {"type": "object", "properties": {"role": role}}
                                               for i in range(400)}}
    body = json.dumps({"messages": [{"role": "system", "content": '"role": ' * 9000},
                                    {"role": "user", "content": "학술행사 담당자 전화번호 알려줘"}],
                       "tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}]}).encode()
    assert len(body) > 64 * 1024 and body.count(b'"role"') > 2 * MAX_MESSAGES  # past the cheap count
    response = post_raw(http, "/v1/chat/completions", body)
    assert response.status_code == 200, response.text
    assert strict_json(response)["choices"][0]["message"]["content"]
    refused = post_raw(http, "/v1/chat/completions", many_messages_body())
    assert refused.status_code == 400
    assert strict_json(refused)["error"]["code"] == "too_many_messages"
    assert strict_json(refused)["error"]["param"] == "messages"

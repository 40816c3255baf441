"""POST /kakao/skill: the Kakao i OpenBuilder skill protocol, against a real server over the real corpus.

Every answer is compared with what POST /v1/ask says for the same question, so no expected answer is written here.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import httpx
import pytest
from conftest import running_server

from assistant.answering.models import AnswerResponse, Citation, Evidence
from assistant.api.kakao_format import EMPTY_TEXT, TIMEOUT_TEXT, one_line, plain_text, skill_text, too_long_text
from assistant.api.routers.kakao import RATE_LIMITED_TEXT, AnswerWorkers
from assistant.facts.contacts import PHONE
from assistant.service import MAX_QUESTION_CHARS

QA = [json.loads(line) for line in (Path(__file__).resolve().parents[2] / "eval" / "qa.jsonl").open(encoding="utf-8")]
# the platform's limits (Kakao i OpenBuilder, skill response 2.0)
TEXT_LIMIT, QUICK_REPLIES_LIMIT, LABEL_LIMIT, OUTPUTS_LIMIT = 1000, 10, 14, 3
MARKER_CUT = re.compile(r"\[\d+(?![\d\]])|\[$")  # "[1" without its bracket, or a bracket at the very end


def skill_payload(utterance, user_id="e1a7c0d2b9f84c5a6d3e", **extra):
    """A payload as the platform posts it (fields as in the OpenBuilder skill guide, plus newer ones we ignore)."""
    return {
        "intent": {"id": "65f2b1c0a3d4e5f6a7b8c9d0", "name": "폴백 블록",
                   "extra": {"reason": {"code": 1, "message": "OK"}}},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"ignoreMe": "true", "surface": "Kakaotalk.plusfriend"},
            "block": {"id": "65f2b1c0a3d4e5f6a7b8c9d0", "name": "폴백 블록"},
            "utterance": utterance,
            "lang": "ko",
            "user": {"id": user_id, "type": "botUserKey",
                     "properties": {"plusfriendUserKey": "Gq3bX7lR2mTz", "isFriend": True, "botUserKey": user_id}},
        },
        "contexts": [],
        "bot": {"id": "65f2a9e8d7c6b5a4f3e2d1c0", "name": "계획서 도우미"},
        "action": {"name": "plan-assistant", "clientExtra": None, "params": {}, "id": "65f2b3d4e5f6a7b8c9d0e1f2",
                   "detailParams": {}},
        "flow": {"lastBlock": {"id": "65f2b1c0a3d4e5f6a7b8c9d0", "name": "폴백 블록"},
                 "trigger": {"type": "TEXT_INPUT"}},
        **extra,
    }


def kakao(url, utterance, user_id="e1a7c0d2b9f84c5a6d3e"):
    response = httpx.post(f"{url}/kakao/skill", json=skill_payload(utterance, user_id), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def ask(url, question, session_id=None):
    response = httpx.post(f"{url}/v1/ask", json={"question": question, "session_id": session_id}, timeout=30)
    assert response.status_code == 200, response.text
    return AnswerResponse(**response.json())


def skill_text_of(body) -> str:
    """Check the skill response 2.0 shape and the platform's limits; the simpleText."""
    assert body["version"] == "2.0"
    template = body["template"]
    assert set(template) <= {"outputs", "quickReplies"}
    assert 1 <= len(template["outputs"]) <= OUTPUTS_LIMIT
    for output in template["outputs"]:
        assert set(output) == {"simpleText"} and set(output["simpleText"]) == {"text"}
        text = output["simpleText"]["text"]
        assert isinstance(text, str) and 0 < len(text) <= TEXT_LIMIT
        assert not re.search(r"<[A-Za-z/!]", text), "markup in a plain-text bubble"
        assert not MARKER_CUT.search(text), "a citation marker cut in two"
    quick_replies = template.get("quickReplies", [])
    assert len(quick_replies) <= QUICK_REPLIES_LIMIT
    for reply in quick_replies:
        assert reply["action"] == "message"
        assert 0 < len(reply["label"]) <= LABEL_LIMIT
        assert isinstance(reply["messageText"], str) and reply["messageText"].strip()
    return template["outputs"][0]["simpleText"]["text"]


def quick_replies_of(body) -> list[dict]:
    return body["template"].get("quickReplies", [])


def phones(text: str) -> set[str]:
    return {match.replace(" ", "") for match in PHONE.findall(text)}


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_a_phone_question_gets_the_phone_number_of_the_answer(server_url):
    questions = ["학술행사 담당자 전화번호 알려줘",
                 *[r["question"] for r in QA if r["type"] == "contact" and "전화" in r["question"]][:2]]
    for question in questions:
        expected = ask(server_url, question)
        assert not expected.abstained and phones(expected.answer), question
        body = kakao(server_url, question, user_id=f"phone-{questions.index(question)}")
        text = skill_text_of(body)
        assert phones(expected.answer) <= phones(text), (question, text)
        assert squeeze(text).startswith(squeeze(plain_text(expected.answer)))  # the answer first, whole
        # its source is named: number, document title
        assert f"[1] {expected.citations[0].title}" in text


def test_a_contact_answer_offers_the_other_contacts_of_the_program(server_url):
    body = kakao(server_url, "학술행사 담당자 전화번호 알려줘", user_id="quick-replies")
    replies = quick_replies_of(body)
    assert replies and all("연락처" in r["messageText"] for r in replies)
    following = replies[0]["messageText"]  # tapped: the platform sends it as the user's next utterance
    expected = ask(server_url, following)
    text = skill_text_of(kakao(server_url, following, user_id="quick-replies"))
    assert not expected.abstained and phones(expected.answer) and phones(expected.answer) <= phones(text)
    assert phones(expected.answer).isdisjoint(phones(body["template"]["outputs"][0]["simpleText"]["text"]
                                                     .split("\n\n")[0]))  # another person than the first answer


def test_an_abstention_offers_the_nearest_sections(server_url):
    for row in [r for r in QA if r["type"] == "unanswerable"][:6]:
        expected = ask(server_url, row["question"])
        if expected.abstained and expected.suggestions:
            break
    else:
        pytest.fail("no unanswerable question of the Q&A set was abstained on with suggestions")
    body = kakao(server_url, row["question"], user_id="abstention")
    text = skill_text_of(body)
    assert squeeze(text).startswith(squeeze(plain_text(expected.answer)))
    replies = quick_replies_of(body)
    assert replies
    for reply in replies:
        label = reply["label"].rstrip("…")
        assert any(label.replace(" ", "") in s.replace(" ", "") for s in expected.suggestions), reply


def test_a_follow_up_resolves_in_the_same_user_session_only(server_url):
    first, follow_up = "고양시정연구원 학술행사는 어떤 사업이야?", "그 사업 담당자 연락처는?"
    ask(server_url, first, session_id="kakao-compare")
    expected = ask(server_url, follow_up, session_id="kakao-compare")
    assert not expected.abstained and phones(expected.answer)

    skill_text_of(kakao(server_url, first, user_id="user-a"))
    text = skill_text_of(kakao(server_url, follow_up, user_id="user-a"))
    assert phones(expected.answer) <= phones(text)

    alone = ask(server_url, follow_up, session_id="kakao-never-asked")  # what a fresh session gets
    assert alone.abstained
    other = skill_text_of(kakao(server_url, follow_up, user_id="user-b"))
    assert squeeze(other).startswith(squeeze(plain_text(alone.answer)))
    assert phones(expected.answer).isdisjoint(phones(other.split("\n\n")[0]))  # its sources may quote the line
    # the Kakao session is its own: the same id on /v1/ask has no earlier turn
    assert ask(server_url, follow_up, session_id="user-a").abstained


def assert_compacted(response: AnswerResponse, limits) -> None:
    """Whatever the limit: within it, no marker cut, the answer first and whole while it fits, else cut at its end."""
    answer = plain_text(response.answer)
    for limit in limits:
        text = skill_text(response, limit=limit)
        assert 0 < len(text) <= limit
        assert not MARKER_CUT.search(text)
        if len(answer) <= limit:
            assert text.startswith(answer)
            markers = set(re.findall(r"\[\d+\]", text[len(answer):]))
            assert markers <= {f"[{c.n}]" for c in response.citations}
        else:
            assert text.endswith("…")
            assert set(re.findall(r"\[\d+\]", text)) <= set(re.findall(r"\[\d+\]", answer))


def test_long_answers_are_compacted_to_the_limit_keeping_the_answer(server_url):
    compare = [r for r in QA if r["type"] == "compare"]
    responses = [ask(server_url, r["question"]) for r in compare]
    for response in responses:
        full = skill_text(response, limit=10**6)
        assert_compacted(response, (TEXT_LIMIT, len(full) - 1, 400, 150, 60))
    # an answer and sources longer than a bubble (answers are short now: made long here, with many sources)
    richest = max(responses, key=lambda r: len(r.citations))
    lines = [line for line in richest.answer.split("\n") if re.search(r"\[\d+\]", line)]
    long = richest.model_copy(update={"answer": "\n".join(lines * (TEXT_LIMIT // max(1, len("".join(lines))) + 2))})
    assert len(skill_text(long, limit=10**6)) > TEXT_LIMIT
    assert_compacted(long, (TEXT_LIMIT, 800, 400, 150, 60))
    # the same through the skill: the one with the most sources comes back whole up to its answer
    question = next(r["question"] for r, a in zip(compare, responses, strict=True) if a is richest)
    text = skill_text_of(kakao(server_url, question, user_id="long"))
    assert squeeze(text).startswith(squeeze(plain_text(richest.answer)))
    assert f"[1] {richest.citations[0].title}" in text


def test_each_source_is_one_line_with_the_evidence_of_the_answer(server_url):
    row = next(r for r in QA if r["id"] == "dj-b-020")  # a name in one row of a long table
    expected = ask(server_url, row["question"])
    assert not expected.abstained and expected.evidence
    text = skill_text_of(kakao(server_url, row["question"], user_id="evidence"))
    assert squeeze(text).startswith(squeeze(plain_text(expected.answer)))
    sources = text.split("\n\n", 1)[1].split("\n")[1:]
    assert len(sources) == len(expected.citations)  # one line per source
    for citation, line in zip(sorted(expected.citations, key=lambda c: c.n), sources, strict=True):
        assert line.startswith(f"[{citation.n}] {citation.title}")
        for evidence in (e for e in expected.evidence if e.n == citation.n):
            assert one_line(evidence.text) in line  # the supporting text itself
        assert one_line(citation.text) not in line or len(one_line(citation.text)) <= 160  # not the whole quote


def test_a_source_line_names_title_section_and_evidence_and_fits():
    quote = "사업 개요\n구분\t책임자\t기간\n뷰티산업 육성방안 연구\t<b>김은영</b>\t01-02\n" + "다음 줄 " * 200
    row = quote.split("\n")[2]
    at = 1000 + quote.index(row)
    response = AnswerResponse(answer="연구책임자는 김은영입니다 [1]", citations=[
        Citation(n=1, doc="d", title="2024년도 사업계획", section="2024년도 사업계획 > 연구사업 > 정책과제 : 76건",
                 text=quote, score=1.0, start=1000, end=1000 + len(quote)),
        Citation(n=2, doc="e", title="다른 문서", section="다른 문서", text="인용 " * 200, score=1.0),
    ], evidence=[Evidence(n=1, doc="d", start=at, end=at + len(row), text=row)])
    text = skill_text(response)
    assert text.split("\n") == ["연구책임자는 김은영입니다 [1]", "", "출처",
                                "[1] 2024년도 사업계획 · 정책과제 : 76건 — “뷰티산업 육성방안 연구 | 김은영 | 01-02”",
                                text.split("\n")[-1]]
    assert text.split("\n")[-1].startswith("[2] 다른 문서 — “인용 인용") and len(text.split("\n")[-1]) < 80
    assert "다음 줄" not in text  # the evidence, not the quote
    for limit in (200, 120, 80, 40):
        assert_compacted(response, (limit,))


def test_document_markup_never_reaches_the_bubble():
    text = plain_text("연구 <b>성과</b>&lt;script&gt;alert(1)&lt;/script&gt;\t\t표\t셀\u202e 끝\u200b 1 < 2")
    assert "<" not in text.replace("1 < 2", "") and "\u202e" not in text and "\u200b" not in text
    assert "연구 성과" in text and "표 | 셀" in text and "1 < 2" in text


def test_empty_and_too_long_utterances_get_a_readable_answer(server_url):
    for utterance in ("", "   \n"):
        assert skill_text_of(kakao(server_url, utterance)) == EMPTY_TEXT
    too_long = "학술행사 담당자 " * (MAX_QUESTION_CHARS // 5)
    assert skill_text_of(kakao(server_url, too_long)) == too_long_text(len(too_long.strip()))


@pytest.mark.parametrize("content, fragment", [
    (b"{\"userRequest\": {\"utterance\": ", "json"),
    (b"not json at all", "json"),
    (json.dumps({"intent": {"id": "1", "name": "x"}, "bot": {"id": "2"}}).encode(), "userRequest"),
    (json.dumps({"userRequest": {"user": {"id": "x"}, "lang": "ko"}}).encode(), "utterance"),
    (json.dumps({"userRequest": {"utterance": None, "user": {"id": "x"}}}).encode(), "utterance"),
    (b"[]", "body"),
])
def test_a_body_that_is_no_skill_payload_is_refused_clearly(server_url, content, fragment):
    response = httpx.post(f"{server_url}/kakao/skill", content=content,
                          headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code in (400, 422)
    detail = json.dumps(response.json()["detail"], ensure_ascii=False)
    assert fragment.lower() in detail.lower() and "Traceback" not in detail


def test_an_answer_that_takes_too_long_becomes_a_polite_retry(corpus_index):
    question = "학술행사 담당자 전화번호 알려줘"
    with running_server(corpus_index, env={"ASSISTANT_KAKAO_TIMEOUT": "0.001"}) as (url, _):
        response = httpx.post(f"{url}/kakao/skill", json=skill_payload(question), timeout=30)
        assert response.status_code == 200
        body = response.json()
        assert skill_text_of(body) == TIMEOUT_TEXT
        assert [r["messageText"] for r in quick_replies_of(body)] == [question]  # one tap asks again
        assert phones(ask(url, question).answer)  # the server itself answers; only the skill's wait was cut


def test_answer_workers_refuse_at_once_when_all_are_busy_and_free_up_when_answers_end():
    workers = AnswerWorkers(2)
    go_on = threading.Event()
    try:
        busy = [workers.try_submit(go_on.wait, 30) for _ in range(2)]
        assert all(busy)
        assert workers.try_submit(str, "queued") is None  # refused there and then, not queued behind the two
        go_on.set()
        assert [future.result(timeout=30) for future in busy] == [True, True]
        failing = workers.try_submit(int, "not a number")
        with pytest.raises(ValueError):
            failing.result(timeout=30)
        # a failed answer frees its worker too: both are free again
        again = [workers.try_submit(str, n) for n in range(2)]
        assert [future.result(timeout=30) for future in again] == ["0", "1"]
    finally:
        go_on.set()


# rate limits: per Kakao user and per bot, not per address (every user arrives from the platform's addresses)

USER_LIMIT, CHANNEL_LIMIT, BURST = 3, 320, 300


@pytest.fixture(scope="module")
def kakao_limited(corpus_index):
    """Limits as in production, small enough to reach: a per-address limit every Kakao user shares the address of,
    a per-user and a per-bot one. The skill is given no time to answer: the limits are checked before an answer is
    started, and the polite "ask again" of a time-out is not the "too many" text looked for here."""
    env = {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "5", "ASSISTANT_KAKAO_USER_PER_MINUTE": str(USER_LIMIT),
           "ASSISTANT_KAKAO_CHANNEL_PER_MINUTE": str(CHANNEL_LIMIT), "ASSISTANT_KAKAO_TIMEOUT": "0.001"}
    with running_server(corpus_index, env=env) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        yield client


def limited_text(body) -> bool:
    return skill_text_of(body) == RATE_LIMITED_TEXT


def test_many_users_from_one_address_are_not_refused(kakao_limited):
    refused = 0
    for n in range(BURST):
        response = kakao_limited.post("/kakao/skill", json=skill_payload("학술행사 담당자 전화번호 알려줘", f"burst-{n}"))
        assert response.status_code == 200
        refused += limited_text(response.json())
    assert refused == 0  # 60 times the per-address limit of 5, from one address
    # that address is limited on the API all the same, and the skill goes on answering after it is
    statuses = [kakao_limited.get("/v1/documents").status_code for _ in range(20)]
    assert 429 in statuses
    after = kakao_limited.post("/kakao/skill", json=skill_payload("학술행사 담당자 전화번호 알려줘", "burst-after"))
    assert after.status_code == 200 and not limited_text(after.json())


def test_a_user_over_the_limit_is_asked_to_wait_in_a_skill_reply(kakao_limited):
    question = "학술행사 담당자 전화번호 알려줘"
    bodies = []
    for _ in range(4 * USER_LIMIT):  # a token comes back every 60/limit s: a slow machine only delays the refusal
        response = kakao_limited.post("/kakao/skill", json=skill_payload(question, "greedy-user"))
        assert response.status_code == 200  # the platform shows only a skill response: never a 429
        bodies.append(response.json())
        if limited_text(bodies[-1]):
            break
    assert not any(limited_text(b) for b in bodies[:USER_LIMIT]) and limited_text(bodies[-1])
    assert bodies[-1]["version"] == "2.0"
    assert quick_replies_of(bodies[-1]) == [{"label": "다시 질문하기", "action": "message", "messageText": question}]
    # another user of the same channel is not held back by this one
    other = kakao_limited.post("/kakao/skill", json=skill_payload(question, "patient-user")).json()
    assert not limited_text(other)


def test_a_channel_has_a_ceiling_for_all_its_users_together(kakao_limited):
    refused_at = None
    for n in range(4 * CHANNEL_LIMIT):
        body = kakao_limited.post("/kakao/skill", json=skill_payload("일정 알려줘", f"crowd-{n}")).json()
        if limited_text(body):
            refused_at = n
            break
    assert refused_at is not None, "the channel ceiling was never reached"
    payload = skill_payload("일정 알려줘", "crowd-other-bot")
    payload["bot"] = {"id": "another-bot", "name": "다른 봇"}
    assert not limited_text(kakao_limited.post("/kakao/skill", json=payload).json())  # each bot its own ceiling

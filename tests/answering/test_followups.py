"""Follow-up questions resolve against the previous turn of the same session, and only that session."""

import time

import httpx
import pytest

from assistant.answering.sessions import SessionMemory, is_follow_up
from assistant.service import Assistant
from assistant.settings import Settings


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(Settings(index_dir=corpus_index))


def test_follow_ups_keep_the_topic_of_their_own_session(assistant):
    assistant.ask("고양시정연구원 학술행사는 어떤 사업이야?", session_id="a")
    assistant.ask("파주 공모사업 관리는 어떻게 해?", session_id="b")
    first = assistant.ask("그 사업 담당자 연락처는?", session_id="a")
    assert "노관령" in first.answer and "8073-8344" in first.answer
    second = assistant.ask("그 사업 담당자 연락처는?", session_id="b")
    assert "김문정" in second.answer and "940 - 5633" in second.answer
    then = assistant.ask("그럼 팀장은?", session_id="a")
    assert "백주현" in then.answer and "노관령" not in then.answer


def test_a_pointing_question_without_a_session_asks_what_is_meant(assistant):
    response = assistant.ask("그 사업 담당자 연락처는?")
    assert response.abstained and "어떤 사업" in response.answer


def test_memory_is_bounded_in_sessions_and_age():
    memory = SessionMemory(max_sessions=2, ttl_seconds=0.2)
    for session in ("x", "y", "z"):
        memory.remember(session, "질문", "주제")
    assert len(memory) == 2 and memory.last("x") is None and memory.last("z").topic == "주제"
    time.sleep(0.3)
    assert memory.last("z") is None


@pytest.mark.parametrize(("question", "follow_up"), [
    ("그럼 연락처는?", True), ("해당 센터 전화번호", True), ("팀장은?", True),
    ("고양시정연구원 학술행사 담당자", False), ("대전세종연구원 개원일", False),
])
def test_follow_up_detection(question, follow_up):
    assert is_follow_up(question) is follow_up


def test_sessions_over_http(server_url):
    with httpx.Client(base_url=server_url, timeout=30) as client:
        client.post("/v1/ask", json={"question": "경제자유구역센터는 무슨 일을 해?", "session_id": "user-1"})
        answer = client.post("/v1/ask", json={"question": "그럼 연락처는?", "session_id": "user-1"}).json()
    assert "김리영" in answer["answer"] and "8073-8374" in answer["answer"]


def test_command_line_sessions_survive_between_processes(corpus_index, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(corpus_index), "ASSISTANT_CACHE_DIR": str(tmp_path)}

    def ask(question: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", question, "--session", "cli", "--json"],
                              capture_output=True, text=True, env=env, cwd=root, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    ask("고양시정연구원 경제자유구역센터는 무슨 일을 해?")
    answer = ask("그럼 연락처는?")
    assert "김리영" in answer["answer"] and "8073-8374" in answer["answer"]

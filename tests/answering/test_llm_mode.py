"""LLM mode against an OpenAI-compatible server on 127.0.0.1: kept only when faithful, else extractive."""

import pytest
from conftest import free_port
from fake_openai import FakeOpenAIServer, requests_seen

from assistant.service import Assistant
from assistant.settings import Settings

QUESTION = "고양시정연구원 학술행사 담당자 번호 알려줘"


@pytest.fixture(scope="module")
def llm_server():
    with FakeOpenAIServer(free_port()) as server:
        yield server


def assistant_with(corpus_index, server, model, timeout=5.0):
    return Assistant(Settings(index_dir=corpus_index, llm_base_url=server.url, llm_model=model, llm_timeout=timeout))


def test_a_faithful_llm_answer_is_used(corpus_index, llm_server):
    response = assistant_with(corpus_index, llm_server, "good").ask(QUESTION)
    assert response.answer == "문의하실 번호는 8073-8365입니다 [1]."  # the first number of the evidence sent
    assert "8073-8365" in response.citations[0].text
    assert {"type": "writer", "value": "llm"} in response.facts
    sent = requests_seen[-1]
    assert sent["model"] == "good" and "8073-8344" in sent["messages"][-1]["content"]  # the evidence went along


@pytest.mark.parametrize(("model", "reason"), [
    ("invents", "numbers its quotes lack"),
    ("nocite", "cites no evidence"),
    ("error", "llm error"),
    ("slow", "llm error"),  # the client's time-out
])
def test_unfaithful_or_failing_llm_falls_back_to_the_extractive_answer(corpus_index, llm_server, model, reason):
    response = assistant_with(corpus_index, llm_server, model, timeout=1.0).ask(QUESTION)
    assert "노관령" in response.answer and "8073-8344" in response.answer and "8073-9999" not in response.answer
    fallback = [f for f in response.facts if f.get("type") == "llm_fallback"]
    assert fallback and reason in fallback[0]["reason"]


def test_without_settings_no_llm_is_called(corpus_index):
    assert Assistant(Settings(index_dir=corpus_index)).writer is None

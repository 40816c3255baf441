"""The built index on disk, written atomically, and loading it back.

Layout of ``<index_dir>/current/``: ``manifest.json`` (format version, embedder, chunk
count, each document's content hash, the sources and settings it was built from),
``documents.jsonl`` (metadata and normalized text), ``chunks.jsonl``, ``bm25/`` and
``bigrams/`` (bm25s), ``dense.faiss`` (absent in a lexical-only index).

A build writes everything into a staging folder beside ``current/`` and swaps it in with
renames at the very end, so a crash or Ctrl-C mid-build leaves the previous index as it
was; staging folders of dead builds are removed by the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.chunking import Chunk
from assistant.facts import ContactRecord, ProjectRecord, ScheduleRecord
from assistant.ingest import Document

FORMAT_VERSION = 2
CURRENT = "current"
_STAGING = re.compile(r"^\.(?:build|old)-(\d+)-")


class IndexMissing(FileNotFoundError):
    """No built index: the message tells the user what to run."""


class IndexMismatch(RuntimeError):
    """An index that this configuration must not use (other embedder, other format)."""


class BuildLock:
    """One build of an index folder at a time, across every process of the machine: the workers and replicas
    that share the folder (any of them may take ``POST /v1/admin/reindex``), ``assistant ingest`` from a shell, and
    ``assistant serve`` building a stale index at start.

    An exclusive ``flock`` on the index folder itself (no lock file is left in it): the kernel releases it when the
    holder exits, even on a crash or SIGKILL, so no stale lock outlives its build (a lock with a time-out in the
    state store could expire under a long build, or stay behind a dead one).
    """

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir)
        self._fd: int | None = None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; False at once when another build holds it and ``blocking`` is False."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


class IndexStore:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.path = self.index_dir / CURRENT

    def exists(self) -> bool:
        return (self.path / "manifest.json").is_file()

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A folder to build the next index in; it becomes ``current/`` when the block ends normally."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._remove_dead_staging()
        staging = Path(tempfile.mkdtemp(prefix=f".build-{os.getpid()}-", dir=self.index_dir))
        try:
            yield staging
            if not (staging / "manifest.json").is_file():
                raise RuntimeError("build finished without a manifest")
            self._swap_in(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _swap_in(self, staging: Path) -> None:
        old = None
        if self.path.exists():
            old = self.index_dir / f".old-{os.getpid()}-{time.time_ns()}"
            os.replace(self.path, old)
        os.replace(staging, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _remove_dead_staging(self) -> None:
        for entry in self.index_dir.iterdir():
            match = _STAGING.match(entry.name)
            if match and entry.is_dir() and not _alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)

    def is_fresh(self, sources: dict[str, str], settings_key: dict[str, Any]) -> bool:
        """True when the index was built from exactly these files (by content hash) with these settings."""
        try:
            manifest = self.manifest()
        except (IndexMissing, OSError, ValueError):
            return False
        return (
            manifest.get("format_version") == FORMAT_VERSION
            and manifest.get("sources") == sources
            and manifest.get("settings") == settings_key
        )

    def manifest(self) -> dict[str, Any]:
        self._require()
        return json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))

    def chunks(self) -> list[Chunk]:
        self._require()
        return [Chunk.from_dict(r) for r in read_jsonl(self.path / "chunks.jsonl")]

    def contacts(self) -> list[ContactRecord]:
        self._require()
        path = self.path / "contacts.jsonl"
        return [ContactRecord(**r) for r in read_jsonl(path)] if path.exists() else []

    def schedules(self) -> list[ScheduleRecord]:
        self._require()
        path = self.path / "schedules.jsonl"
        return [ScheduleRecord(**r) for r in read_jsonl(path)] if path.exists() else []

    def projects(self) -> list[ProjectRecord]:
        self._require()
        path = self.path / "projects.jsonl"
        return [ProjectRecord(**r) for r in read_jsonl(path)] if path.exists() else []

    def documents(self) -> list[dict[str, Any]]:
        self._require()
        return list(read_jsonl(self.path / "documents.jsonl"))

    def _require(self) -> None:
        if not self.exists():
            raise IndexMissing(f"no index in {self.index_dir}: run 'assistant ingest' first")


def document_record(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "organization": doc.organization,
        "year": doc.year,
        "path": doc.path,
        "source_format": doc.source_format,
        "content_hash": doc.content_hash,
        "text": doc.text,
        "blocks": len(doc.blocks),
    }


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

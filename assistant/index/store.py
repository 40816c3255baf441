"""The built index on disk, written atomically.

Layout: ``<index_dir>/current/`` holds ``manifest.json``, ``documents.jsonl`` (metadata and
normalized text) and ``chunks.jsonl``.  A build writes a sibling temporary folder and
swaps it in with renames, so a crash mid-build leaves the previous index as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.chunking import Chunk
from assistant.ingest import Document

FORMAT_VERSION = 1
CURRENT = "current"


class IndexMissing(FileNotFoundError):
    """No built index: the message tells the user what to run."""


class IndexStore:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.path = self.index_dir / CURRENT

    def exists(self) -> bool:
        return (self.path / "manifest.json").is_file()

    def write(self, documents: Iterable[Document], chunks: Iterable[Chunk], extra: dict[str, Any] | None = None) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=self.index_dir))
        try:
            docs = list(documents)
            chunk_list = list(chunks)
            _write_jsonl(staging / "documents.jsonl", (_document_record(d) for d in docs))
            _write_jsonl(staging / "chunks.jsonl", (c.to_dict() for c in chunk_list))
            manifest = {
                "format_version": FORMAT_VERSION,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "documents": {d.doc_id: {"content_hash": d.content_hash, "path": d.path} for d in docs},
                "chunk_count": len(chunk_list),
                **(extra or {}),
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
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

    def is_fresh(self, sources: dict[str, str], settings_key: dict[str, Any]) -> bool:
        """True when the index was built from exactly these files (by content hash) with these settings."""
        if not self.exists():
            return False
        try:
            manifest = self.manifest()
        except (OSError, ValueError):
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
        return [Chunk.from_dict(r) for r in _read_jsonl(self.path / "chunks.jsonl")]

    def documents(self) -> list[dict[str, Any]]:
        self._require()
        return list(_read_jsonl(self.path / "documents.jsonl"))

    def _require(self) -> None:
        if not self.exists():
            raise IndexMissing(f"no index in {self.index_dir}: run 'assistant ingest' first")


def _document_record(doc: Document) -> dict[str, Any]:
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


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)

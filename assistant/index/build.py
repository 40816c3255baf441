"""``assistant ingest``: find the files, load and chunk each, write the index, report."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant import __version__
from assistant.chunking import Chunk, chunk_document
from assistant.facts import extract_contacts, extract_projects, extract_schedules
from assistant.index.store import FORMAT_VERSION, BuildLock, IndexStore, document_record, read_jsonl, write_jsonl
from assistant.ingest import (
    SUPPORTED_SUFFIXES,
    DocumentInfo,
    ManifestError,
    UnreadableDocument,
    load_document,
    read_manifest,
)
from assistant.ingest.manifest import MANIFEST_NAME
from assistant.retrieval.analyzer import analyze, char_bigrams
from assistant.retrieval.dense import DenseIndex
from assistant.retrieval.embedders import CachedEmbedder, embedder_id, load_embedder
from assistant.retrieval.lexical import BM25Index
from assistant.settings import Settings

_NOT_DOCUMENTS = {MANIFEST_NAME, "README.md", ".gitkeep"}


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class DocumentReport:
    doc_id: str
    title: str
    path: str
    source_format: str
    blocks: int
    chunks: int
    chunk_kinds: dict[str, int]


@dataclass
class IngestReport:
    documents: list[DocumentReport] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    embedded: int = 0  # chunks the model embedded in this run
    embeddings_reused: int = 0  # chunks whose vectors came from the cache

    @property
    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.documents)


def discover_files(paths: Iterable[Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Files to ingest (folders walked recursively, hidden files ignored), and those refused at once."""
    found: list[Path] = []
    skipped: list[SkippedFile] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path)))
            candidates = [p for p in candidates if p.name not in _NOT_DOCUMENTS]
        elif path.is_file():
            candidates = [path]
        else:
            skipped.append(SkippedFile(str(path), "no such file or folder"))
            continue
        for candidate in candidates:
            if candidate.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(candidate)
            else:
                skipped.append(SkippedFile(str(candidate), f"unsupported file type {candidate.suffix or '(none)'!r}"))
    return list(dict.fromkeys(found)), skipped


def source_hashes(files: Iterable[Path]) -> dict[str, str]:
    """What the index is built from: each file's content hash, so edits and deletions show."""
    hashes = {}
    for path in files:
        try:
            hashes[str(path.resolve())] = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
        except OSError:
            hashes[str(path.resolve())] = "unreadable"
    for manifest in {path.parent / MANIFEST_NAME for path in files}:
        if manifest.exists():
            hashes[str(manifest.resolve())] = hashlib.sha256(manifest.read_bytes()).hexdigest()[:24]
    return hashes


def code_fingerprint() -> str:
    """A hash of the code that turns files into chunks and terms: when it changes, chunks are rebuilt."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(__version__.encode())
    for folder in ("ingest", "chunking", "analysis"):
        for path in sorted((package / folder).rglob("*.py")):
            digest.update(path.read_bytes())
    digest.update((package / "retrieval" / "analyzer.py").read_bytes())
    return digest.hexdigest()[:16]


def settings_key(settings: Settings, lexical_only: bool = False) -> dict[str, Any]:
    """The settings and code an index depends on; a change means a rebuild."""
    return {
        "version": __version__,
        "code": code_fingerprint(),
        "chunk_max_tokens": settings.chunk_max_tokens,
        "chunk_min_tokens": settings.chunk_min_tokens,
        "ocr": settings.ocr,  # scanned pages read, or refused
        "embedder": None if lexical_only else embedder_id(settings.embedder),
    }


def index_is_fresh(paths: list[Path], settings: Settings, lexical_only: bool = False) -> bool:
    files, _ = discover_files(paths)
    return IndexStore(settings.index_dir).is_fresh(source_hashes(files), settings_key(settings, lexical_only))


@dataclass
class _Built:
    """One document ready for the index: its record, chunks and their BM25 terms (None: not analyzed yet)."""

    record: dict[str, Any]
    chunks: list[Chunk]
    terms: list[list[str]] | None = None


def ingest(
    paths: list[Path],
    settings: Settings,
    on_progress: Callable[[Path], None] | None = None,
    on_embedded: Callable[[int], None] | None = None,
    lexical_only: bool = False,
    build_lock: BuildLock | None = None,
) -> IngestReport:
    """Parse, chunk, index and embed; the new index replaces the old one only when all succeeded.

    A file whose bytes (and manifest entry) are unchanged since the last build is not parsed
    again: its chunks and terms come from the previous index, its vectors from the cache.
    One build of an index folder runs at a time on the machine: without ``build_lock`` (a lock the
    caller already holds) this waits for any other build of the folder to end first.
    """
    if build_lock is None:
        build_lock = BuildLock(settings.index_dir)
        build_lock.acquire()
        try:
            return _ingest(paths, settings, on_progress, on_embedded, lexical_only)
        finally:
            build_lock.release()
    return _ingest(paths, settings, on_progress, on_embedded, lexical_only)


def _ingest(paths: list[Path], settings: Settings, on_progress: Callable[[Path], None] | None,
            on_embedded: Callable[[int], None] | None, lexical_only: bool) -> IngestReport:
    report = IngestReport()
    started = time.perf_counter()
    files, report.skipped = discover_files(paths)
    store = IndexStore(settings.index_dir)
    built = _load_and_chunk(files, settings, report, on_progress, _previous_build(store, settings))
    report.seconds["parse"] = round(time.perf_counter() - started, 3)
    if not built:
        report.seconds["total"] = round(time.perf_counter() - started, 3)
        return report
    chunks = [chunk for entry in built for chunk in entry.chunks]
    with store.staging() as stage:
        write_jsonl(stage / "documents.jsonl", (entry.record for entry in built))
        write_jsonl(stage / "chunks.jsonl", (c.to_dict() for c in chunks))
        write_jsonl(stage / "contacts.jsonl", (r.to_dict() for r in extract_contacts(chunks)))
        years = {entry.record["doc_id"]: entry.record["year"] for entry in built}
        write_jsonl(stage / "schedules.jsonl", (r.to_dict() for r in extract_schedules(chunks, years)))
        write_jsonl(stage / "projects.jsonl", (r.to_dict() for r in extract_projects(chunks)))
        t0 = time.perf_counter()
        terms = [t for entry in built for t in (entry.terms or [analyze(c.search_text) for c in entry.chunks])]
        write_jsonl(stage / "terms.jsonl", ({"terms": t} for t in terms))
        texts = [c.search_text for c in chunks]
        BM25Index.from_terms(terms, analyze).save(stage / "bm25")
        BM25Index.build(texts, char_bigrams).save(stage / "bigrams")
        report.seconds["lexical"] = round(time.perf_counter() - t0, 3)
        embedder_info = None
        if not lexical_only:
            t0 = time.perf_counter()
            embedder = CachedEmbedder(load_embedder(settings.embedder), settings.embedding_cache)
            vectors = embedder.embed_passages(texts, progress=on_embedded)
            report.embedded, report.embeddings_reused = embedder.computed, embedder.reused
            report.seconds["embed"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            DenseIndex.build(vectors).save(stage / "dense.faiss")
            report.seconds["dense_index"] = round(time.perf_counter() - t0, 3)
            embedder_info = {"id": embedder.id, "dim": embedder.dim}
        manifest = {
            "format_version": FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "embedder": embedder_info,
            "chunk_count": len(chunks),
            "documents": {e.record["doc_id"]: {"content_hash": e.record["content_hash"], "path": e.record["path"]}
                          for e in built},
            "sources": source_hashes(files),
            "settings": settings_key(settings, lexical_only),
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    report.seconds["total"] = round(time.perf_counter() - started, 3)
    return report


def _previous_build(store: IndexStore, settings: Settings) -> dict[str, _Built]:
    """What the last build made of each file, by file key, if it chunked with these settings."""
    try:
        manifest = store.manifest()
        previous_key = {k: v for k, v in manifest.get("settings", {}).items() if k != "embedder"}
        current_key = {k: v for k, v in settings_key(settings).items() if k != "embedder"}
        if manifest.get("format_version") != FORMAT_VERSION or previous_key != current_key:
            return {}
        chunks = store.chunks()
        terms = [r["terms"] for r in read_jsonl(store.path / "terms.jsonl")]
        if len(terms) != len(chunks):
            return {}
        by_doc: dict[str, _Built] = {}
        for record in store.documents():
            if record.get("source_key"):
                by_doc[record["doc_id"]] = _Built(record, [], [])
        for chunk, chunk_terms in zip(chunks, terms, strict=True):
            if chunk.doc_id in by_doc:
                by_doc[chunk.doc_id].chunks.append(chunk)
                by_doc[chunk.doc_id].terms.append(chunk_terms)
        return {entry.record["source_key"]: entry for entry in by_doc.values()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # an unreadable previous index is simply not reused


def _source_key(path: Path, manifests: dict[Path, dict[str, DocumentInfo]]) -> str:
    """The file's bytes and its own manifest entry: what a document's chunks depend on.

    Only the file's entry counts, not the whole manifest: an upload adds an entry, and every
    other document must still be reused from the previous build rather than parsed again.
    """
    digest = hashlib.sha256(path.read_bytes())
    info = _manifest_for(path.parent, manifests).get(path.name)
    digest.update(repr(sorted(asdict(info).items())).encode("utf-8") if info else b"")
    return digest.hexdigest()[:24]


def _load_and_chunk(
    files: list[Path],
    settings: Settings,
    report: IngestReport,
    on_progress: Callable[[Path], None] | None,
    previous: dict[str, _Built],
) -> list[_Built]:
    manifests: dict[Path, dict[str, DocumentInfo]] = {}
    built: list[_Built] = []
    seen_ids: Counter[str] = Counter()
    for path in files:
        try:
            key = _source_key(path, manifests)
            entry = previous.get(key)
            if entry is None:
                entry = _parse(path, key, settings, manifests)
            doc_id = entry.record["doc_id"]
            seen_ids[doc_id] += 1
            if seen_ids[doc_id] > 1:  # two files with the same name in different folders
                entry = _parse(path, key, settings, manifests, doc_id=f"{doc_id}-{seen_ids[doc_id]}")
        except (UnreadableDocument, ManifestError) as exc:
            report.skipped.append(SkippedFile(str(path), str(exc)))
        except OSError as exc:
            report.skipped.append(SkippedFile(str(path), f"cannot read file: {exc.strerror or exc}"))
        except RecursionError:
            report.skipped.append(SkippedFile(str(path), "document nesting too deep to parse"))
        else:
            if not entry.chunks:
                report.skipped.append(SkippedFile(str(path), "no text to index"))
            else:
                built.append(entry)
                report.documents.append(DocumentReport(
                    entry.record["doc_id"], entry.record["title"], str(path), entry.record["source_format"],
                    entry.record["blocks"], len(entry.chunks), dict(Counter(c.kind.value for c in entry.chunks)),
                ))
        if on_progress is not None:
            on_progress(path)
    return built


def _parse(path: Path, key: str, settings: Settings, manifests: dict, doc_id: str | None = None) -> _Built:
    info = _manifest_for(path.parent, manifests).get(path.name)
    doc = load_document(path, info, max_bytes=int(settings.max_file_mb * 2**20), ocr=settings.ocr)
    if doc_id is not None:
        doc.doc_id = doc_id
    chunks = chunk_document(doc, settings.chunk_max_tokens, settings.chunk_min_tokens)
    return _Built(document_record(doc) | {"source_key": key}, chunks)


def _manifest_for(folder: Path, cache: dict[Path, dict[str, DocumentInfo]]) -> dict[str, DocumentInfo]:
    if folder not in cache:
        cache[folder] = read_manifest(folder)
    return cache[folder]


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)

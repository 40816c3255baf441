"""Stage 3: chunks -> the persisted index under ``index/``: chunks, BM25, FAISS, manifest."""

from assistant.index.build import IngestReport, SkippedFile, discover_files, index_is_fresh, ingest
from assistant.index.load import load_retriever
from assistant.index.store import IndexMismatch, IndexMissing, IndexStore

__all__ = [
    "IndexMismatch",
    "IndexMissing",
    "IndexStore",
    "IngestReport",
    "SkippedFile",
    "discover_files",
    "index_is_fresh",
    "ingest",
    "load_retriever",
]

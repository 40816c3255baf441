"""Stage 3: chunks -> the persisted index under ``index/`` (for now: chunks and documents)."""

from assistant.index.build import (
    IngestReport,
    SkippedFile,
    discover_files,
    index_is_fresh,
    ingest,
)
from assistant.index.store import IndexMissing, IndexStore

__all__ = ["IndexMissing", "IndexStore", "IngestReport", "SkippedFile", "discover_files", "index_is_fresh", "ingest"]

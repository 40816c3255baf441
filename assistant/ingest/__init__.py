"""Stage 1: files -> documents made of typed blocks over one normalized text."""

from assistant.ingest.document import Block, BlockKind, Document, TableRow
from assistant.ingest.elements import UnreadableDocument
from assistant.ingest.load import SUPPORTED_SUFFIXES, load_document
from assistant.ingest.manifest import DocumentInfo, ManifestError, read_manifest

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Block",
    "BlockKind",
    "Document",
    "DocumentInfo",
    "ManifestError",
    "TableRow",
    "UnreadableDocument",
    "load_document",
    "read_manifest",
]

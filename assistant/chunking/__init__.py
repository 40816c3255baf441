"""Stage 2: documents -> chunks that keep their section and their exact source span."""

from assistant.chunking.chunk import Chunk, ChunkKind
from assistant.chunking.splitter import chunk_document

__all__ = ["Chunk", "ChunkKind", "chunk_document"]

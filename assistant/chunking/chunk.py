"""What the chunking stage hands to the indexes: a citable piece of one document."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from assistant.ingest.document import Location


class ChunkKind(StrEnum):
    PROSE = "prose"
    TABLE = "table"
    CONTACT = "contact"


@dataclass
class Chunk:
    chunk_id: str  # hash of document and offsets: stable while the document is unchanged
    doc_id: str
    doc_title: str
    section_path: list[str]
    kind: ChunkKind
    search_text: str  # what the indexes see: heading trail, column names, joined spacing
    quote: str  # the exact source span, Document.text[start:end], for citations
    start: int
    end: int
    n_tokens: int
    line_start: int | None = None  # 1-based line in the normalized text, for people debugging
    line_end: int | None = None
    organization: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # where the quote is in the original file (PDF pages, spreadsheet sheet and rows); empty for flowing text
    pages: list[int] = field(default_factory=list)
    sheet: str = ""
    rows: list[int] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        """Key of the embedding cache: the same search text embeds to the same vector."""
        return hashlib.sha256(self.search_text.encode("utf-8")).hexdigest()[:24]

    def lines(self) -> Iterator[tuple[int, str]]:
        """Non-blank lines of the quote with their start offset in the document's normalized text."""
        offset = self.start
        for line in self.quote.split("\n"):
            if line.strip():
                yield offset, line
            offset += len(line) + 1

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    @property
    def location(self) -> str:
        """``p. 12``, ``pp. 3–4``, ``시트 '예산' 3–7행``; "" when the format has no pages or sheets."""
        return Location(tuple(self.pages), self.sheet, tuple(self.rows)).label

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["content_hash"] = self.content_hash
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["kind"] = ChunkKind(fields["kind"])
        return cls(**fields)


def make_chunk_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{doc_id}:{start}:{end}".encode()).hexdigest()[:16]

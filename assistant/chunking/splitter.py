"""Blocks -> chunks: sections first, then sentences packed to a token budget.

Rules that keep chunks citable:
- a chunk never spans two sections, except that a section too small to stand alone
  (a title over its sub-sections) is carried into the next one;
- prose is split between Kiwi sentences, with one sentence of overlap;
- a table row is never cut, and its chunk's search text names the columns;
- a contact line is a chunk of its own, filed under the section it closes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from itertools import zip_longest

from assistant.analysis import count_tokens, split_sentences
from assistant.chunking.chunk import Chunk, ChunkKind, make_chunk_id
from assistant.ingest.document import Block, BlockKind, Document
from assistant.ingest.normalize import join_spaced

CONTACT_TERMS = "연락처 담당자 전화번호"


@dataclass
class _Unit:
    """The smallest piece a chunk is made of: a sentence, a table row or a contact block."""

    start: int
    end: int
    n_tokens: int
    kind: ChunkKind
    header: tuple[str, ...] = ()  # table rows: the column names
    cells: tuple[str, ...] = ()
    is_header: bool = False  # kept for the quote; its names already label every row's values


@dataclass
class _Section:
    path: tuple[str, ...]
    units: list[_Unit]
    contact_context: tuple[str, ...] = ()  # contact sections: what the contact serves, for search
    after_break: bool = False  # follows a table of contents: nothing before may be packed with it


def chunk_document(doc: Document, max_tokens: int = 380, min_tokens: int = 60) -> list[Chunk]:
    line_starts = [0] + [i + 1 for i, ch in enumerate(doc.text) if ch == "\n"]
    chunks: list[Chunk] = []
    carry: _Section | None = None
    for section in _sections(doc):
        if section.units[0].kind is ChunkKind.CONTACT:
            if carry is not None:
                chunks.extend(_pack(doc, carry, max_tokens, min_tokens, line_starts))
                carry = None
            chunks.append(_make_chunk(doc, section.path, section.units, ChunkKind.CONTACT, line_starts,
                                      section.contact_context))
            continue
        if carry is not None:
            merged = _merge_paths(carry.path, section.path)
            if merged and len(merged) >= len(carry.path) - 1 and not section.after_break:
                section = _Section(merged, carry.units + section.units)
            else:  # the next section is elsewhere in the tree: the small one stands alone
                chunks.extend(_pack(doc, carry, max_tokens, min_tokens, line_starts))
            carry = None
        if sum(u.n_tokens for u in section.units) < min_tokens:
            carry = section
            continue
        chunks.extend(_pack(doc, section, max_tokens, min_tokens, line_starts))
    if carry is not None:
        chunks.extend(_pack(doc, carry, max_tokens, min_tokens, line_starts))
    return chunks


def _sections(doc: Document) -> list[_Section]:
    """Split the blocks at headings; contact blocks become sections of their own."""
    sections: list[_Section] = []
    current: _Section | None = None
    span_headings: list[Block] = []  # headings since the last contact: the one it closes is among them
    span_paragraph = ""
    span_blocks = 0  # blocks since the last contact: a program's purpose line comes within the first few
    last_contact_path: tuple[str, ...] | None = None
    after_break = False
    for block in doc.blocks:
        if block.marker == "toc":  # chunks end before it and start after it: its lines are in no quote
            current, after_break = None, True
            continue
        if block.kind is BlockKind.CONTACT:
            if span_headings:
                top = min(h.level for h in span_headings)
                closing = [h for h in span_headings if h.level == top]
                path = closing[-1].path
                context = tuple(h.title for h in closing[-3:]) + ((span_paragraph,) if span_paragraph else ())
            else:
                path = last_contact_path if last_contact_path is not None else block.path
                context = (span_paragraph,) if span_paragraph else ()
            unit = _Unit(block.start, block.end, count_tokens(block.text), ChunkKind.CONTACT)
            sections.append(_Section(path, [unit], context))
            current, span_headings, span_paragraph, span_blocks, last_contact_path = None, [], "", 0, path
            continue
        if block.kind is BlockKind.HEADING:
            span_headings.append(block)
            current = _Section(block.path, [], after_break=after_break)
            sections.append(current)
            after_break = False
        elif current is None:
            current = _Section(block.path, [], after_break=after_break)
            sections.append(current)
            after_break = False
        span_blocks += 1
        if not span_paragraph and span_blocks <= 3 and block.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM):
            if len(block.text) > 20:
                span_paragraph = block.text[:200]  # the purpose line that opens the next program
        current.units.extend(_units(doc, block))
    return [s for s in sections if s.units]


def _units(doc: Document, block: Block) -> list[_Unit]:
    if block.kind is BlockKind.TABLE:
        header = tuple(block.header)
        return [
            _Unit(row.start, row.end, count_tokens(doc.text[row.start:row.end]), ChunkKind.TABLE, header,
                  tuple(row.cells), is_header=bool(header) and index == 0)
            for index, row in enumerate(block.rows)
            if not row.repeated_header
        ]
    return [
        _Unit(block.start + s.start, block.start + s.end, s.n_tokens, ChunkKind.PROSE)
        for s in split_sentences(block.text)
    ]


def _pack(doc: Document, section: _Section, max_tokens: int, min_tokens: int, line_starts: list[int]) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: list[_Unit] = []
    tokens = 0

    def flush() -> None:
        if current:
            kind = ChunkKind.TABLE if any(u.kind is ChunkKind.TABLE for u in current) else ChunkKind.PROSE
            chunks.append(_make_chunk(doc, section.path, list(current), kind, line_starts))

    for unit in section.units:
        kind_changes = bool(current) and unit.kind is not current[-1].kind
        # a short lead-in ("(단위 : 백만원)", the section title) stays with the table it introduces
        lead_in = kind_changes and unit.kind is ChunkKind.TABLE and tokens < min_tokens
        if current and ((kind_changes and not lead_in) or tokens + unit.n_tokens > max_tokens):
            flush()
            overlap = current[-1]
            both_prose = overlap.kind is ChunkKind.PROSE and unit.kind is ChunkKind.PROSE
            current = [overlap] if both_prose and not kind_changes and overlap.n_tokens < max_tokens // 3 else []
            tokens = sum(u.n_tokens for u in current)
        current.append(unit)
        tokens += unit.n_tokens
    flush()
    if len(chunks) > 1 and chunks[-1].n_tokens < min_tokens // 2 and chunks[-2].n_tokens + chunks[-1].n_tokens <= max_tokens:
        # a stray last line (a page mark, a note) joins the chunk before it
        tail_units = [u for u in section.units if u.start >= chunks[-1].start]
        head_units = [u for u in section.units if chunks[-2].start <= u.start < chunks[-1].start]
        kind = chunks[-2].kind
        chunks[-2:] = [_make_chunk(doc, section.path, head_units + tail_units, kind, line_starts)]
    return chunks


def _make_chunk(
    doc: Document,
    path: tuple[str, ...],
    units: list[_Unit],
    kind: ChunkKind,
    line_starts: list[int],
    context: tuple[str, ...] = (),
) -> Chunk:
    start, end = units[0].start, units[-1].end
    quote = doc.text[start:end]
    lines = [doc.organization] if doc.organization else []
    if path:
        lines.append(" > ".join(path))
    lines.extend(context)
    if kind is ChunkKind.CONTACT:
        lines.append(CONTACT_TERMS)  # people ask for "담당자 전화번호"; the line itself says "연락처 ... ☎"
    for unit in units:
        lines.append(join_spaced(_unit_text(doc, unit), names=kind is ChunkKind.CONTACT))
    # the reader finds the cell where a row meets a column: it needs each table row's column names
    headers: list[list] = []
    for unit in units:
        if unit.kind is ChunkKind.TABLE and unit.header and (not headers or headers[-1][1] != list(unit.header)):
            headers.append([unit.start, list(unit.header)])
    where = doc.location(start, end)
    return Chunk(
        chunk_id=make_chunk_id(doc.doc_id, start, end),
        doc_id=doc.doc_id,
        doc_title=doc.title,
        section_path=list(path),
        kind=kind,
        search_text="\n".join(line for line in lines if line),
        quote=quote,
        start=start,
        end=end,
        n_tokens=sum(u.n_tokens for u in units),
        line_start=bisect.bisect_right(line_starts, start),
        line_end=bisect.bisect_right(line_starts, max(start, end - 1)),
        organization=doc.organization,
        extra={"table_headers": headers} if headers else {},
        pages=list(where.pages),
        sheet=where.sheet,
        rows=list(where.rows),
    )


def _unit_text(doc: Document, unit: _Unit) -> str:
    """A table row reads "column: value / column: value", so the column names are searchable."""
    if unit.kind is not ChunkKind.TABLE:
        return doc.text[unit.start:unit.end]
    if unit.is_header:
        return ""
    if not unit.header:
        return " | ".join(cell for cell in unit.cells if cell)
    pairs = zip_longest(unit.header, unit.cells, fillvalue="")
    return " / ".join(f"{name}: {value}" if name else value for name, value in pairs if value)


def _merge_paths(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """A carried title over its sub-section keeps the deeper path; siblings share their parent."""
    if second[: len(first)] == first:
        return second
    if first[: len(second)] == second:
        return first
    common = []
    for a, b in zip(first, second):
        if a != b:
            break
        common.append(a)
    return tuple(common)

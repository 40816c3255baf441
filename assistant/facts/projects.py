"""What programs there are: ``ProjectRecord`` facts from the section tree of each document.

A section is a project when its sub-sections are the parts a program page has (목적, 사업개요,
추진 계획, 기대효과 ...). Its record gives the name (the section title), the unit that owns it
(the nearest heading above naming a 실, 처, 센터, 팀, 과 or 부, else the organization), the
first period and the first amount its text states (as written, the period also in ISO), and
its purpose line.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.chunking import Chunk, ChunkKind
from assistant.facts.dates import find_dates
from assistant.ingest.outline import is_generic_title, split_marker

_UNIT = re.compile(r"(?:실|처|센터|팀|과|부|관|단)(?:\s*\(.*\))?$")
_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:천원|백만원|만원|억\s*원|억원|억|원)")
_PURPOSE_TITLES = ("목적", "사업개요", "개요", "추진배경", "추진목적", "센터설치의필요성")
# parts of a department's plan that have the same sub-sections as a program, but are not one
_CONTAINERS = re.compile(r"여건\s*분석|추진\s*방향|주요\s*성과|추진\s*계획|수행\s*계획|업무\s*계획")


@dataclass
class ProjectRecord:
    name: str
    unit: str
    period: str  # as written, '' when the text gives none
    period_iso: str
    budget: str  # as written, '' when the text gives none
    purpose: str
    doc_id: str
    doc_title: str
    section: str
    chunk_id: str  # the first chunk of the project's section
    start: int  # span of the project's text in the document's normalized text
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


def extract_projects(chunks: list[Chunk]) -> list[ProjectRecord]:
    by_path: dict[tuple[str, str, ...], list[Chunk]] = {}
    for chunk in chunks:
        if chunk.kind is ChunkKind.CONTACT:
            continue
        path = tuple(chunk.section_path)
        for depth in range(1, len(path) + 1):
            by_path.setdefault((chunk.doc_id, *path[:depth]), []).append(chunk)
    records = []
    for key, members in by_path.items():
        doc_id, path = key[0], key[1:]
        title = path[-1]
        if is_generic_title(title) or len(title) > 60 or _CONTAINERS.search(title):
            continue
        children = {tuple(c.section_path[len(path):len(path) + 1]) for c in members} - {()}
        if sum(1 for (child,) in children if is_generic_title(child)) < 2:
            continue  # a program page has at least two of 목적 / 추진 계획 / 기대효과 ...
        members = sorted({c.chunk_id: c for c in members}.values(), key=lambda c: c.start)
        text = "\n".join(c.quote for c in members)
        period = next((m for m in find_dates(text) if m.is_range or m.precision != "year"), None)
        amount = _AMOUNT.search(text)
        records.append(ProjectRecord(
            name=title, unit=_unit(path[:-1], members[0].organization), period=period.text if period else "",
            period_iso=period.iso if period else "", budget=amount.group(0) if amount else "",
            purpose=_purpose(path, members), doc_id=doc_id, doc_title=members[0].doc_title,
            section=" > ".join(path), chunk_id=members[0].chunk_id, start=members[0].start, end=members[-1].end,
        ))
    return records


def _unit(ancestors: tuple[str, ...], organization: str) -> str:
    for title in reversed(ancestors):
        if _UNIT.search(title.strip()):
            return title.strip()
    return organization


def _purpose(path: tuple[str, ...], members: list[Chunk]) -> str:
    """The first line under 목적/사업개요, else the first line that is neither a heading nor the title."""

    def lines(chunk: Chunk) -> list[str]:
        found = []
        for line in chunk.quote.split("\n"):
            line = line.strip().lstrip("-·○□■◆▣ ").strip()
            numbered = split_marker(line)[0].kind in ("roman", "digit", "pair")
            if len(line) > 10 and not numbered and not is_generic_title(line) and line not in path:
                found.append(line)
        return found

    for chunk in members:
        below = chunk.section_path[len(path):]
        if below and re.sub(r"\s+", "", below[0]).startswith(_PURPOSE_TITLES) and lines(chunk):
            return lines(chunk)[0][:200]
    for chunk in members:
        if lines(chunk):
            return lines(chunk)[0][:200]
    return ""

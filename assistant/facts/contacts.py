"""Who to call: ``ContactRecord`` facts from the contact chunks of a document.

Three layouts occur, and each gives role, name and phone differently:
- a line: ``연락처 | 부장: 윤신희 ☎ 8073-8365 | 팀장: 백주현 ☎ 8073-8375 | 담당: 김유진 ☎ 8073-8312``;
- a table row per role, names spaced out and several people in one cell, matched to the
  phones of the row by position: ``\\t\\t팀\\t장\\t이 창 훈 정지선\\t☎ 940 - 4058 ☎ 940 - 2958``;
- one row with parallel lists: ``과장 장장 담당자 | 한창익 이해원 김윤경 | 연락처 | 8075-2440 8075-2441 8075-2445``.
Every record keeps the text as written and the exact span it came from; nothing is
guessed (a role the table leaves blank stays blank).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.chunking import Chunk, ChunkKind

PHONE = re.compile(r"(?<!\d)((?:0\d{1,2}\s*[-)]\s*)?\d{3,4}\s*-\s*\d{4})(?!\d)")
ROLES = ("팀장대행", "센터장", "부장", "팀장", "과장", "실장", "국장", "원장", "소장", "주무관", "담당자", "담당", "장장")
_ROLE_ALIASES = {"주무": "주무관"}
_LINE_ENTRY = re.compile(
    rf"(?P<role>{'|'.join(ROLES)})\s*[:：]\s*(?P<name>[가-힣](?:\s?[가-힣]){{1,3}})\s*☎\s*(?P<phone>{PHONE.pattern})"
)
_DEPARTMENT_LABELS = ("주관부서", "소관부서", "담당부서", "부서")


@dataclass
class ContactRecord:
    organization: str
    department: str
    program: str  # the section the contact closes: the program it serves
    role: str
    name: str  # spaces removed: 이성호
    name_as_written: str  # 이 성 호
    phone: str  # spaces removed: 940-4230
    phone_as_written: str  # 940 - 4230
    doc_id: str
    doc_title: str
    chunk_id: str
    section: str
    source_text: str  # the whole line or row, verbatim
    start: int  # span of source_text in the document's normalized text
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


def extract_contacts(chunks: list[Chunk]) -> list[ContactRecord]:
    records: list[ContactRecord] = []
    for chunk in chunks:
        if chunk.kind is not ChunkKind.CONTACT:
            continue
        department = ""
        for start, line in chunk.lines():
            if "\t" in line:
                cells = [c.strip() for c in line.split("\t")]
                department = _department(cells) or department
                found = _from_row(cells)
            else:
                found = [(m.group("role"), m.group("name"), m.group("phone")) for m in _LINE_ENTRY.finditer(line)]
            for role, name, phone in found:
                records.append(ContactRecord(
                    organization=chunk.organization, department=department,
                    program=chunk.section_path[-1] if chunk.section_path else "", role=role,
                    name=_squash(name), name_as_written=name, phone=_squash(phone), phone_as_written=phone,
                    doc_id=chunk.doc_id, doc_title=chunk.doc_title, chunk_id=chunk.chunk_id, section=chunk.section,
                    source_text=line, start=start, end=start + len(line),
                ))
    return records


def _from_row(cells: list[str]) -> list[tuple[str, str, str]]:
    """(role, name, phone) entries of one table row; a row without a role cell gets no role."""
    phones = [m.group(1) for cell in cells for m in PHONE.finditer(cell)]
    if not phones:
        return []
    label_cells = [c for c in cells if c and not PHONE.search(c)]
    roles = _roles_in(cells)
    name_cell = next((c for c in reversed(label_cells) if _names_in(c) and not _roles_in([c])
                      and _squash(c) not in _DEPARTMENT_LABELS and _squash(c) != "연락처"), "")
    names = _names_in(name_cell)
    if len(roles) == len(names) == len(phones) and len(roles) > 1:  # parallel lists: 과장 장장 담당자
        return list(zip(roles, names, phones, strict=True))
    role = roles[0] if roles else ""
    return [(role, name, phone) for name, phone in zip(names, phones, strict=False)]


def _roles_in(cells: list[str]) -> list[str]:
    """Roles in the row's short cells, which may be split over cells (과 | 장) or spaced (팀 장)."""
    joined = "".join(_squash(c) for c in cells if c and len(_squash(c)) <= 8 and not PHONE.search(c))
    found = []
    for cell in cells:
        for word in cell.split():
            word = _ROLE_ALIASES.get(word, word)
            if word in ROLES:
                found.append(word)
    if len(found) > 1:
        return found
    for role in ROLES:
        if role in joined or _ROLE_ALIASES.get(joined) == role:
            return [role]
    return found


def _names_in(cell: str) -> list[str]:
    """People named in a cell, as written: "이 은 지 방 성 국 민 정 원" is three, "이 성호" is one."""
    tokens = cell.split()
    if not tokens or not all(re.fullmatch(r"[가-힣]{1,4}", t) for t in tokens):
        return []
    names: list[str] = []
    singles: list[str] = []
    for token in tokens:
        if len(token) == 1:
            singles.append(token)
            if len(singles) == 3:
                names.append(" ".join(singles))
                singles = []
        elif singles == [] or len(singles) != 1 or len(token) != 2:
            if singles:
                names.append(" ".join(singles))
                singles = []
            names.append(token)
        else:  # a surname written apart from its given name: "이 성호"
            names.append(f"{singles[0]} {token}")
            singles = []
    if singles:
        names.append(" ".join(singles))
    return [n for n in names if 2 <= len(_squash(n)) <= 4 and _squash(n) not in ROLES]


def _department(cells: list[str]) -> str:
    for index, cell in enumerate(cells):
        if _squash(cell) in _DEPARTMENT_LABELS:
            return next((c for c in cells[index + 1:] if c), "")
    return ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)

"""The Q&A set: loading JSONL or CSV, and checking it against the documents.

A bad file is rejected with every problem and its line number, so whoever edits the set
in a spreadsheet can find and fix each one.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError, field_validator

QUESTION_TYPES = ("contact", "schedule", "project", "number", "org", "compare", "unanswerable", "general")
# Fixed halves of the set: rules and weights are tuned on "tune" only and judged on "test"; a question never moves.
SPLITS = ("tune", "test")
_LIST_SEPARATOR = "|"  # CSV cells holding several key strings or evidence passages


class QAItem(BaseModel):
    id: str
    type: str
    question: str
    answer: str = ""
    must_contain: list[str] = []
    doc: str | list[str] = ""
    evidence: list[str] = []
    split: str = ""  # "tune" or "test"; "" for sets without splits (a staff spreadsheet)
    tags: list[str] = []  # e.g. "table_cell": the answer is one cell of a table

    @field_validator("question")
    @classmethod
    def _question_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question is empty")
        return value

    @property
    def docs(self) -> list[str]:
        if isinstance(self.doc, list):
            return [d for d in self.doc if d]
        return [self.doc] if self.doc else []

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def doc_label(self) -> str:
        return "+".join(sorted(self.docs)) or "-"


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line of the file (CSV: the record's first line)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class QASetError(ValueError):
    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: {len(problems)} problem(s)\n{shown}{more}")


def read_qa(path: Path) -> tuple[list[tuple[int, QAItem]], list[Problem]]:
    """Items with their line numbers, and the problems that kept other lines out."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(0, f"cannot read file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(raw[: exc.start].count(b"\n") + 1, "not UTF-8 text")]
    if path.suffix.lower() == ".csv":
        return _read_csv(text)
    return _read_jsonl(text)


def _read_jsonl(text: str) -> tuple[list[tuple[int, QAItem]], list[Problem]]:
    items, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(number, "expected a JSON object"))
            continue
        _add_item(items, problems, number, data)
    return items, problems


def _read_csv(text: str) -> tuple[list[tuple[int, QAItem]], list[Problem]]:
    items: list[tuple[int, QAItem]] = []
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    missing = {"question", "answer", "must_contain"} - columns
    if missing:
        return [], [Problem(1, f"CSV needs the columns question, answer, must_contain (missing: {', '.join(sorted(missing))})")]
    for index, row in enumerate(reader, start=1):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        number = reader.line_num
        answer = row.get("answer", "")
        data = {
            "id": row.get("id") or f"csv-{index:03d}",
            "type": row.get("type") or ("unanswerable" if not answer else "general"),
            "question": row.get("question", ""),
            "answer": answer,
            "must_contain": _split_cell(row.get("must_contain", "")),
            "doc": row.get("doc", ""),
            "evidence": _split_cell(row.get("evidence", "")),
            "split": row.get("split", ""),
            "tags": _split_cell(row.get("tags", "")),
        }
        _add_item(items, problems, number, data)
    return items, problems


def _split_cell(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(_LIST_SEPARATOR) if part.strip()]


def _add_item(items: list, problems: list[Problem], number: int, data: dict) -> None:
    try:
        items.append((number, QAItem.model_validate(data)))
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "item"
            problems.append(Problem(number, f"{where}: {error['msg']}"))


def check_qa(path: Path, documents: dict[str, str]) -> tuple[list[QAItem], list[Problem]]:
    """Parse and check the set against the documents' normalized text (doc id -> text)."""
    items, problems = read_qa(path)
    seen: Counter[str] = Counter()
    for number, item in items:
        seen[item.id] += 1
        if seen[item.id] == 2:
            problems.append(Problem(number, f"duplicate id {item.id!r}"))
        problems.extend(Problem(number, message) for message in _item_problems(item, documents))
    if not items and not problems:
        problems.append(Problem(0, "no questions in the file"))
    return [item for _, item in items], sorted(problems, key=lambda p: p.line)


def _item_problems(item: QAItem, documents: dict[str, str]) -> list[str]:
    found = []
    if item.type not in QUESTION_TYPES:
        found.append(f"unknown type {item.type!r} (known: {', '.join(QUESTION_TYPES)})")
    if item.split and item.split not in SPLITS:
        found.append(f"unknown split {item.split!r} (known: {', '.join(SPLITS)})")
    unknown = [d for d in item.docs if d not in documents]
    if unknown:
        found.append(f"unknown document {', '.join(unknown)} (known: {', '.join(sorted(documents))})")
    texts = [documents[d] for d in item.docs if d in documents]
    if item.type == "unanswerable":
        if item.must_contain or item.answer.strip():
            found.append("an unanswerable question has no answer and no key strings")
        return found
    if not item.must_contain:
        found.append("no key strings (must_contain)")
    for passage in item.evidence:
        if texts and not any(passage in text for text in texts):
            found.append(f"evidence not found verbatim in {item.doc_label}: {passage[:60]!r}")
    for key in item.must_contain:
        in_evidence = any(key in passage for passage in item.evidence)
        in_document = any(key in text for text in texts)
        if not in_evidence and not in_document:
            found.append(f"key string {key!r} is neither in the evidence nor in the document")
    return found


def load_qa(path: Path, documents: dict[str, str]) -> list[QAItem]:
    items, problems = check_qa(path, documents)
    if problems:
        raise QASetError(path, problems)
    return items

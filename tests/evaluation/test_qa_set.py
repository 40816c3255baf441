"""The Q&A set passes the validator; a file with every kind of defect fails with line numbers."""

import json
from collections import Counter
from pathlib import Path

from assistant.evaluation.qa import check_qa

ROOT = Path(__file__).resolve().parents[2]
MINIMUMS = {"contact": 30, "schedule": 25, "project": 25, "number": 15, "unanswerable": 20, "compare": 10}


def test_the_real_set_is_valid_and_complete(corpus_texts):
    items, problems = check_qa(ROOT / "eval" / "qa.jsonl", corpus_texts)
    assert problems == []
    assert len(items) >= 150
    counts = Counter(i.type for i in items)
    for qtype, minimum in MINIMUMS.items():
        assert counts[qtype] >= minimum, (qtype, counts[qtype])
    daejeon = sum(1 for i in items if "daejeon-sejong-2024" in i.docs)
    assert 0.25 <= daejeon / len(items) <= 0.45  # the large plan gets about a third


def test_questions_are_not_copies_of_the_text(corpus_texts):
    """At least half must not be answerable by matching the question's words literally: here, no
    question may appear in a document, and most share no 8-character run with their evidence."""
    items, _ = check_qa(ROOT / "eval" / "qa.jsonl", corpus_texts)
    literal = 0
    for item in items:
        assert not any(item.question in text for text in corpus_texts.values())
        q = item.question.replace(" ", "")
        if any(q[i:i + 8] in e.replace(" ", "") for e in item.evidence for i in range(max(len(q) - 7, 0))):
            literal += 1
    assert literal <= len(items) / 2


GOOD = {"id": "ok-1", "type": "contact", "question": "학술행사 담당자?", "answer": "노관령 8073-8344",
        "must_contain": ["8073-8344"], "doc": "d", "evidence": ["담당: 노관령 ☎ 8073-8344"]}
DOCS = {"d": "연락처 부장: 윤신희 ☎ 8073-8365 팀장: 백주현 ☎ 8073-8375 담당: 노관령 ☎ 8073-8344"}


def line(**changes) -> str:
    return json.dumps({**GOOD, **changes}, ensure_ascii=False)


def test_every_kind_of_defect_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        line(),                                                          # 1 fine
        '{"id": "broken", "type": ',                                     # 2 invalid JSON
        line(),                                                          # 3 duplicate id
        line(id="e1", evidence=["노관령 ☎ 8073-9999"]),                  # 4 evidence not verbatim
        line(id="k1", must_contain=["8073-1234"]),                       # 5 key string nowhere
        line(id="t1", type="trivia"),                                    # 6 unknown type
        line(id="d1", doc="nope"),                                       # 7 unknown document
        line(id="u1", type="unanswerable"),                              # 8 unanswerable with an answer
        line(id="q1", question="  "),                                    # 9 empty question
        line(id="m1", must_contain=[]),                                  # 10 no key strings
    ]) + "\n", encoding="utf-8")
    _, problems = check_qa(path, DOCS)
    by_line = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append(problem.message)
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert "invalid JSON" in by_line[2][0]
    assert "duplicate id" in by_line[3][0]
    assert "evidence not found verbatim" in by_line[4][0]
    assert "neither in the evidence nor in the document" in by_line[5][0]
    assert "unknown type" in by_line[6][0]
    assert "unknown document" in by_line[7][0]
    assert "unanswerable" in by_line[8][0]
    assert "question" in by_line[9][0]
    assert "no key strings" in by_line[10][0]


def test_spreadsheet_csv_with_and_without_bom(tmp_path):
    rows = ("question,answer,must_contain,doc,evidence,type\n"
            "학술행사 담당자 번호?,노관령 8073-8344,노관령|8073-8344,d,담당: 노관령 ☎ 8073-8344,contact\n"
            "원장 이름은?,,,d,,\n")
    for encoding in ("utf-8", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        path.write_text(rows, encoding=encoding)
        items, problems = check_qa(path, DOCS)
        assert problems == []
        assert [i.type for i in items] == ["contact", "unanswerable"]
        assert items[0].must_contain == ["노관령", "8073-8344"] and items[0].id == "csv-001"


def test_csv_without_the_needed_columns_is_refused(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("질문,답\n원장은?,모름\n", encoding="utf-8")
    _, problems = check_qa(path, DOCS)
    assert problems[0].line == 1 and "question, answer, must_contain" in problems[0].message

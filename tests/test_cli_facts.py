"""`assistant contacts`, `schedule` and `projects` over the real corpus index, as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(index_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_contacts_match_spaced_names_and_print_a_table(corpus_index):
    found = json_lines(run(corpus_index, "contacts", "이성호", "--json"))  # written 이 성 호 / 이 성호
    assert found and {r["phone"] for r in found} == {"940-4230"}
    table = run(corpus_index, "contacts", "학술행사")
    assert table.returncode == 0 and "노관령" in table.stdout and "3 contacts" in table.stdout


def test_schedule_filters_by_period_and_topic_sorted_by_date(corpus_index):
    found = json_lines(run(corpus_index, "schedule", "도시재생자문단", "--from", "2024-03-01", "--to", "2024-03-31", "--json"))
    assert found and all(r["start_date"] <= "2024-03-31" and r["end_date"] >= "2024-03-01" for r in found)
    assert [r["start_date"] for r in found] == sorted(r["start_date"] for r in found)
    bad = run(corpus_index, "schedule", "--from", "3월")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_projects_by_unit(corpus_index):
    found = json_lines(run(corpus_index, "projects", "대전도시재생지원센터", "--json"))
    assert "도시재생자문단" in {r["name"] for r in found}
    assert "programs" in run(corpus_index, "projects", "탄소중립").stdout

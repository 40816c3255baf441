"""`assistant eval --compare OLD.json NEW.json` and `--baseline-run`: two real runs that differ, compared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS

from assistant.evaluation.compare import FLIP_KINDS, compare_reports
from assistant.index import ingest
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def run_eval(index_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir),
                "ASSISTANT_CACHE_DIR": str(ROOT / "index" / "cache"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "--quiet", "--no-baselines", *args],
                          capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def two_runs(corpus_index, tmp_path_factory) -> tuple[Path, Path]:
    """The same 40 questions answered with BM25 alone (an index built without vectors), then with hybrid
    retrieval: the runs differ."""
    out = tmp_path_factory.mktemp("runs")
    lexical_index = out / "index"
    ingest([CORPUS], Settings(index_dir=lexical_index, cache_dir=ROOT / "index" / "cache"), lexical_only=True)
    narrow = run_eval(lexical_index, "--limit", "40", "--out", str(out / "lexical"))
    wide = run_eval(corpus_index, "--limit", "40", "--out", str(out / "hybrid"))
    assert narrow.returncode == 0, narrow.stderr
    assert wide.returncode == 0, wide.stderr
    return out / "lexical" / "report.json", out / "hybrid" / "report.json"


def test_compare_lists_figures_with_their_change_and_the_flipped_questions(two_runs):
    old_path, new_path = two_runs
    old, new = (json.loads(p.read_text(encoding="utf-8")) for p in two_runs)
    comparison = compare_reports(old, new)
    assert comparison.flips, "BM25 alone and hybrid retrieval answered alike: the test compares nothing"
    old_results = {r["id"]: r for r in old["results"]}
    new_results = {r["id"]: r for r in new["results"]}
    for flip in comparison.flips:  # each flip is a real change of outcome, with both answers
        assert old_results[flip.old.id]["outcome"] != new_results[flip.new.id]["outcome"]
        assert flip.old.answer == old_results[flip.old.id]["answer"]
        assert flip.new.answer == new_results[flip.new.id]["answer"]
    unchanged = set(new_results) - {f.new.id for f in comparison.flips}
    assert all(old_results[q]["outcome"] == new_results[q]["outcome"] for q in unchanged)

    result = run_eval(Path("/nonexistent"), "--compare", str(old_path), str(new_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    accuracy = next(f for f in comparison.figures if f.scope == "all" and f.metric == "accuracy")
    assert f"| accuracy | {accuracy.old:.3f} | {accuracy.new:.3f} |" in text
    for kind in FLIP_KINDS:
        if comparison.flips_of(kind):
            assert f"## {kind} ({len(comparison.flips_of(kind))})" in text
    first = comparison.flips[0]
    assert f"**{first.new.id}**" in text


def test_baseline_run_adds_a_section_and_a_failing_gate_prints_the_flips(corpus_index, two_runs, tmp_path):
    old_path, _ = two_runs
    floors = tmp_path / "floors.toml"
    floors.write_text("[assistant]\naccuracy = 1.01\n", encoding="utf-8")
    out = tmp_path / "gated"
    result = run_eval(corpus_index, "--limit", "40", "--out", str(out), "--baseline-run", str(old_path),
                      "--gate", str(floors))
    assert result.returncode == 1
    assert "below its floor" in result.stderr
    assert "questions flipped" in result.stderr and "newly " in result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f"Compared with {old_path}" in page and "<script" not in page.lower()


def test_compare_refuses_what_is_not_a_report(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"not": "a report"}', encoding="utf-8")
    result = run_eval(Path("/nonexistent"), "--compare", str(bogus), str(bogus))
    assert result.returncode == 2 and "no 'systems'" in " ".join(result.stderr.split())  # rich wraps lines
    missing = run_eval(Path("/nonexistent"), "--compare", str(tmp_path / "none.json"), str(bogus))
    assert missing.returncode == 2 and "not a readable JSON report" in " ".join(missing.stderr.split())

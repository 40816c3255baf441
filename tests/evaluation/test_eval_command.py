"""`assistant eval` as evaluators run it: in-process, against a real server (--url), the reports, the gate."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


def run_eval(index_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the embedding cache is shared with `make test`'s evaluation run: baseline chunks embed once
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_CACHE_DIR": str(ROOT / "index" / "cache")}
    return subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "--quiet", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_url_mode_scores_a_running_server_like_the_in_process_assistant(corpus_index, server_url, tmp_path):
    common = ["--no-baselines", "--limit", "40", "--json"]
    local = run_eval(corpus_index, *common, "--out", str(tmp_path / "local"))
    remote = run_eval(corpus_index, *common, "--url", server_url, "--out", str(tmp_path / "remote"))
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    local_report, remote_report = json.loads(local.stdout), json.loads(remote.stdout)
    assert remote_report["target"] == server_url and local_report["target"] == "in-process"
    ours, theirs = local_report["systems"]["assistant"]["summary"], remote_report["systems"]["assistant"]["summary"]
    assert ours["questions"] == theirs["questions"] == 40 and theirs["errors"] == 0
    for metric in ("hit@1", "hit@5", "mrr@10", "accuracy", "verbatim_citations", "number_faithfulness"):
        assert ours[metric] == theirs[metric], metric  # the same assistant, reached two ways


def test_url_mode_against_nothing_reports_errors_not_a_crash(corpus_index, tmp_path):
    result = run_eval(corpus_index, "--no-baselines", "--limit", "3", "--json", "--url", "http://127.0.0.1:9",
                      "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["systems"]["assistant"]["summary"]["errors"] == 3


def test_reports_with_baselines_plots_and_escaped_failures(corpus_index, tmp_path):
    out = tmp_path / "report"
    result = run_eval(corpus_index, "--out", str(out))
    assert result.returncode == 0, result.stderr
    markdown = result.stdout
    for system in ("assistant", "bm25-whitespace", "bm25-kiwi", "dense-e5"):
        assert f"| {system} |" in markdown
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "Failures of assistant" in page
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["systems"]) == {"assistant", "bm25-whitespace", "bm25-kiwi", "dense-e5"}
    for name in ("accuracy_by_type.png", "latency.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(out / "accuracy_by_type.png", ARTIFACTS / "eval_accuracy_by_type.png")


def test_gate_fails_below_a_floor_and_check_reports_lines(corpus_index, tmp_path):
    floors = tmp_path / "floors.toml"
    floors.write_text('[assistant]\n"hit@5" = 1.01\n', encoding="utf-8")
    gated = run_eval(corpus_index, "--no-baselines", "--limit", "5", "--gate", str(floors), "--out", str(tmp_path / "g"))
    assert gated.returncode == 1 and "below its floor" in gated.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "type": "contact", "question": "q", "must_contain": ["없는 값"], '
                   '"doc": "goyang-institute-2024", "evidence": []}\nnot json\n', encoding="utf-8")
    checked = run_eval(corpus_index, str(bad), "--check")
    assert checked.returncode == 1
    assert "line 1:" in checked.stderr and "line 2:" in checked.stderr


def test_split_keeps_only_that_split_and_the_report_shows_it(corpus_index, tmp_path):
    out = tmp_path / "test-split"
    result = run_eval(corpus_index, "--no-baselines", "--split", "test", "--limit", "6", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["split"] == "test" and report["questions"] == 6
    assistant = report["systems"]["assistant"]
    assert set(assistant["by_split"]) == {"test", "all"} and assistant["by_split"]["test"]["questions"] == 6
    for figure in ("concise_accuracy", "truthfulness", "body_p50_chars", "body_p90_chars"):
        assert figure in assistant["summary"]
    assert all(f["split"] == "test" and isinstance(f["body_chars"], int) for f in report["failures"])
    assert "| metric | tune | test | all |" in (out / "report.md").read_text(encoding="utf-8")
    refused = run_eval(corpus_index, "--split", "dev", "--no-baselines")
    assert refused.returncode == 2 and "--split" in refused.stderr

"""Per-split and per-tag breakdowns, the per-split gate, and what the reports show of them (no index needed)."""

import json

from assistant.evaluation.metrics import Observation
from assistant.evaluation.qa import QAItem
from assistant.evaluation.report import HEADLINE, TYPE_METRICS, _html, to_json, to_markdown
from assistant.evaluation.runner import check_gate, run_evaluation

DOCS = {"d1": "담당: 김유진 ☎ 8073-8312\n정원 72명, 현원 68명"}


def qa(qid, split, keys=("김유진",), qtype="contact", tags=()):
    return QAItem(id=qid, type=qtype, question=qid, must_contain=list(keys), doc="d1", split=split, tags=list(tags))


# tune: both right; test: one right, one wrong with a long answer, one unanswerable answered anyway
ITEMS = [
    qa("tune-1", "tune"), qa("tune-2", "tune", ["72명"], "number", ["table_cell"]),
    qa("test-1", "test"), qa("test-2", "test", ["68명"], "number", ["table_cell"]),
    qa("test-3", "test", [], "unanswerable"),
]
ANSWERS = {
    "tune-1": "김유진 [1]", "tune-2": "정원 72명 [1]", "test-1": "김유진, ☎ 8073-8312 [1]",
    "test-2": "정원 " + "가" * 250 + " [1]", "test-3": "김유진 [1]",
}


class Scripted:
    name = "assistant"

    def run(self, question: str) -> Observation:
        return Observation(answer=ANSWERS[question], retrieved=[DOCS["d1"]], latency_ms=5.0)


def evaluation(items=ITEMS, split="all"):
    return run_evaluation(items, [Scripted()], DOCS, "qa.jsonl", split=split)


def test_by_split_holds_each_split_and_all():
    system = evaluation().systems[0]
    assert list(system.by_split) == ["test", "tune", "all"]
    assert system.by_split["tune"]["accuracy"] == 1.0 and system.by_split["tune"]["truthfulness"] == 1.0
    assert system.by_split["test"]["accuracy"] == 0.5
    assert system.by_split["test"]["truthfulness"] == round((1 - 1 - 1) / 3, 4)
    assert system.by_split["all"] == system.summary and system.summary["questions"] == 5
    assert system.by_split_type["test"]["number"]["accuracy"] == 0.0
    assert system.by_split_type["all"] == system.by_type
    assert list(system.by_tag) == ["table_cell"] and system.by_tag["table_cell"]["questions"] == 2
    assert system.by_tag["table_cell"]["concise_accuracy"] == 0.5


def test_split_gate_fails_only_on_the_split_below_its_floor(tmp_path):
    run = evaluation()
    gate = tmp_path / "floors.toml"
    gate.write_text('[assistant]\naccuracy = 0.7\n\n[assistant.tune]\naccuracy = 0.9\n', encoding="utf-8")
    assert check_gate(run, gate) == []  # overall 0.75, tune 1.0
    gate.write_text('[assistant]\naccuracy = 0.7\n\n[assistant.tune]\naccuracy = 0.9\n\n'
                    '[assistant.test]\naccuracy = 0.9\nbody_p90_chars_max = 100\n', encoding="utf-8")
    messages = check_gate(run, gate)
    assert len(messages) == 2 and all(m.startswith("assistant.test ") for m in messages)
    assert "accuracy = 0.5 is below its floor 0.9" in messages[0]
    assert "body_p90_chars" in messages[1] and "above its ceiling 100" in messages[1]


def test_the_flat_format_still_bounds_the_whole_run(tmp_path):
    gate = tmp_path / "floors.toml"
    gate.write_text('[assistant]\n"hit@5" = 1.0\naccuracy = 0.8\nfalse_abstention_max = 0.0\n', encoding="utf-8")
    assert check_gate(evaluation(), gate) == ["assistant accuracy = 0.75 is below its floor 0.8"]
    gate.write_text('[nobody]\naccuracy = 0.1\n', encoding="utf-8")
    assert check_gate(evaluation(), gate) == ["nobody: not in this run"]


def test_a_split_gate_on_a_run_without_that_split_fails(tmp_path):
    gate = tmp_path / "floors.toml"
    gate.write_text('[assistant.test]\naccuracy = 0.1\n', encoding="utf-8")
    tune_only = evaluation([i for i in ITEMS if i.split == "tune"], split="tune")
    assert check_gate(tune_only, gate) == ["assistant.test: no question of split 'test' in this run"]


def test_reports_show_splits_side_by_side_tags_and_failure_details():
    run = evaluation([i for i in ITEMS if i.split == "test"], split="test")
    markdown = to_markdown(run)
    assert "split test" in markdown
    assert "| metric | tune | test | all |" in markdown  # tune is a column even when no tune question ran
    assert "| concise_accuracy | – | 0.500 | 0.500 |" in markdown
    assert "| number | – | 0.000 · 0.000 | 0.000 · 0.000 |" in markdown
    assert "| contact | – | 1.000 · 1.000 | 1.000 · 1.000 |" in markdown
    assert "## assistant per tag" in markdown and "| table_cell | 1 |" in markdown
    for metric in ("concise_accuracy", "truthfulness", "body_p50_chars", "body_p90_chars"):
        assert metric in HEADLINE
    assert "concise_accuracy" in TYPE_METRICS
    report = json.loads(json.dumps(to_json(run), ensure_ascii=False))
    assert report["split"] == "test"
    assistant = report["systems"]["assistant"]
    assert set(assistant["by_split"]) == {"test", "all"} and "table_cell" in assistant["by_tag"]
    failures = {f["id"]: f for f in report["failures"]}
    assert set(failures) == {"test-2", "test-3"}
    assert failures["test-2"]["split"] == "test" and failures["test-2"]["body_chars"] == 253
    page = _html(run)
    assert "assistant per split" in page and "assistant per tag" in page
    assert "<th>body chars</th>" in page and "<td>253</td>" in page


def test_a_set_without_splits_gets_its_own_column():
    run = evaluation([qa("x", ""), qa("y", "", ["없는 값"])])
    assert list(run.systems[0].by_split) == ["(none)", "all"]
    assert "| metric | tune | test | (none) | all |" in to_markdown(run)

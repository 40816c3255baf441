"""The evaluation report: Markdown and JSON for people and machines, HTML with plots.

Questions and answers come from documents and users: every string is escaped in the HTML.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from assistant.evaluation.compare import Comparison, outcome_of
from assistant.evaluation.compare import to_html as comparison_html
from assistant.evaluation.metrics import HIT_KS
from assistant.evaluation.runner import EvalRun, SystemRun, failures, split_order

HEADLINE = [f"hit@{k}" for k in HIT_KS] + [
    "mrr@10", "accuracy", "concise_accuracy", "truthfulness", "abstention_precision", "abstention_recall",
    "false_abstention", "citation_support", "verbatim_citations", "number_faithfulness", "body_p50_chars",
    "body_p90_chars", "latency_p50_ms", "latency_p95_ms", "latency_max_ms",
]
TYPE_METRICS = ["hit@5", "accuracy", "concise_accuracy"]
TAG_METRICS = ["questions", "hit@5", "accuracy", "concise_accuracy", "truthfulness", "body_p50_chars", "body_p90_chars"]
_UNITS = ("_ms", "_chars")  # figures in units, not shares: one decimal whatever their size


def _fmt(value, metric: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value > 1.0 or metric.endswith(_UNITS) else f"{value:.3f}"
    return str(value)


def _fig(summary: dict | None, metric: str) -> str:
    return _fmt((summary or {}).get(metric), metric)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _split_rows(system: SystemRun) -> tuple[list[str], list[list[str]]]:
    """The headline figures per split, side by side: a row per metric, a column per split."""
    splits = split_order(system.by_split)
    rows = [[metric, *(_fig(system.by_split.get(split), metric) for split in splits)]
            for metric in ["questions", *HEADLINE]]
    return splits, rows


def _split_type_rows(system: SystemRun) -> tuple[list[str], list[list[str]]]:
    """Accuracy · concise accuracy per question type (rows) and split (columns)."""
    splits = split_order(system.by_split_type)
    types = sorted({t for per_type in system.by_split_type.values() for t in per_type})
    rows = [[t, *(_accuracy_pair(system.by_split_type.get(split, {}).get(t)) for split in splits)] for t in types]
    return splits, rows


def _accuracy_pair(summary: dict | None) -> str:
    if not summary or summary.get("accuracy") is None:  # no question of the type in the split, or unanswerable
        return "–"
    return f"{_fig(summary, 'accuracy')} · {_fig(summary, 'concise_accuracy')}"


def _tag_rows(system: SystemRun) -> list[list[str]]:
    return [[tag, *(_fig(summary, m) for m in TAG_METRICS)] for tag, summary in system.by_tag.items()]


def _selection(run: EvalRun) -> str:
    return "every split" if run.split == "all" else f"split {run.split}"


def to_markdown(run: EvalRun) -> str:
    parts = [
        f"# Evaluation: {run.qa_path}",
        f"{len(run.items)} questions ({sum(i.answerable for i in run.items)} answerable, {_selection(run)}), "
        f"target {run.target}, {run.started_at}, {run.seconds:.1f} s",
        "",
        "## Overall",
        _table(["system", *HEADLINE], [[s.name, *(_fig(s.summary, m) for m in HEADLINE)] for s in run.systems]),
    ]
    types = sorted({t for s in run.systems for t in s.by_type})
    for metric in TYPE_METRICS:
        parts += ["", f"## {metric} per question type",
                  _table(["system", *types], [[s.name, *(_fig(s.by_type.get(t), metric) for t in types)]
                                              for s in run.systems])]
    first = run.systems[0]
    splits, rows = _split_rows(first)
    parts += ["", f"## {first.name} per split", _table(["metric", *splits], rows)]
    splits, rows = _split_type_rows(first)
    parts += ["", f"## {first.name} accuracy · concise_accuracy per question type and split",
              _table(["type", *splits], rows)]
    parts += ["", f"## {first.name} per tag",
              _table(["tag", *TAG_METRICS], _tag_rows(first)) if first.by_tag else "No question carries a tag."]
    parts += ["", f"## {first.name} per document",
              _table(["document", "questions", "hit@5", "mrr@10", "accuracy", "abstention_recall"],
                     [[doc, str(v["questions"]), _fig(v, "hit@5"), _fig(v, "mrr@10"), _fig(v, "accuracy"),
                       _fig(v, "abstention_recall")] for doc, v in first.by_doc.items()])]
    parts += ["", f"{len(failures(first))} failures of {first.name} (see the HTML report or --json)."]
    return "\n".join(parts) + "\n"


def to_json(run: EvalRun) -> dict:
    return {
        "qa_path": run.qa_path,
        "target": run.target,
        "started_at": run.started_at,
        "seconds": run.seconds,
        "split": run.split,
        "questions": len(run.items),
        "systems": {
            s.name: {
                "summary": s.summary, "by_type": s.by_type, "by_document": s.by_doc, "by_split": s.by_split,
                "by_split_type": s.by_split_type, "by_tag": s.by_tag,
            }
            for s in run.systems
        },
        "failures": [
            {
                "id": f.item.id, "type": f.item.type, "split": f.item.split, "tags": f.item.tags,
                "question": f.item.question, "expected": f.item.must_contain, "answer": f.observation.answer,
                "body_chars": f.body_chars, "abstained": f.observation.abstained, "error": f.observation.error,
                "citations": [{"doc": c.doc, "text": c.text} for c in f.observation.citations],
            }
            for f in failures(run.systems[0])
        ],
        # every question of the first system, for `assistant eval --compare OLD.json NEW.json`
        "results": [
            {"id": s.item.id, "type": s.item.type, "split": s.item.split, "question": s.item.question,
             "expected": s.item.must_contain, "answer": s.observation.answer, "abstained": s.observation.abstained,
             "error": s.observation.error, "outcome": outcome_of(s).value}
            for s in run.systems[0].scored
        ],
    }


def write_reports(run: EvalRun, out_dir: Path, comparison: Comparison | None = None) -> Path:
    """``index.html`` with its plots, ``report.md`` and ``report.json`` in ``out_dir``; ``comparison``: a section
    comparing this run with an earlier one (``--baseline-run``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(to_markdown(run), encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(to_json(run), ensure_ascii=False, indent=2), encoding="utf-8")
    _plot_accuracy_by_type(run, out_dir / "accuracy_by_type.png")
    _plot_latency(run, out_dir / "latency.png")
    page = out_dir / "index.html"
    page.write_text(_html(run, comparison), encoding="utf-8")
    return page


def _plot_accuracy_by_type(run: EvalRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    types = [t for t in sorted({t for s in run.systems for t in s.by_type}) if t != "unanswerable"]
    width = 0.8 / max(len(run.systems), 1)
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    x = np.arange(len(types))
    for offset, system in enumerate(run.systems):
        values = [system.by_type.get(t, {}).get("accuracy") or 0.0 for t in types]
        ax.bar(x + offset * width - 0.4 + width / 2, values, width, label=system.name)
    ax.set_xticks(x, types)
    ax.set_ylim(0, 1)
    ax.set_ylabel("answer accuracy")
    ax.set_title("Answer accuracy per question type")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_latency(run: EvalRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4), dpi=110)
    for system in run.systems:
        latencies = [s.observation.latency_ms for s in system.scored if not s.observation.error]
        if latencies:
            ax.hist(latencies, bins=30, alpha=0.5, label=system.name)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(run: EvalRun, comparison: Comparison | None = None) -> str:
    e = html.escape
    overall = _html_table(["system", *HEADLINE],
                          [[e(s.name), *(e(_fig(s.summary, m)) for m in HEADLINE)] for s in run.systems])
    types = sorted({t for s in run.systems for t in s.by_type})
    per_type = _html_table([f"system / {' · '.join(TYPE_METRICS)}", *types], [
        [e(s.name), *(e(" · ".join(_fig(s.by_type.get(t), m) for m in TYPE_METRICS)) for t in types)]
        for s in run.systems])
    first = run.systems[0]
    splits, rows = _split_rows(first)
    per_split = _html_table(["metric", *splits], [[e(cell) for cell in row] for row in rows])
    splits, rows = _split_type_rows(first)
    per_split_type = _html_table(["type / accuracy · concise_accuracy", *splits],
                                 [[e(cell) for cell in row] for row in rows])
    per_tag = (_html_table(["tag", *TAG_METRICS], [[e(cell) for cell in row] for row in _tag_rows(first)])
               if first.by_tag else "<p>No question carries a tag.</p>")
    failure_rows = []
    for f in failures(first):
        citations = "<br>".join(f"<b>{e(c.doc)}</b>: {e(c.text[:300])}" for c in f.observation.citations[:3])
        failure_rows.append([
            e(f.item.id), e(f.item.type), e(f.item.split or "–"), e(f.item.question),
            e(", ".join(f.item.must_contain) or "(abstain)"),
            e(f.observation.error or ("(abstained) " if f.observation.abstained else "") + f.observation.answer[:400]),
            str(f.body_chars), citations,
        ])
    failures_table = _html_table(["id", "type", "split", "question", "expected", "answer given", "body chars",
                                  "citations"], failure_rows)
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; white-space: pre-wrap; }} th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Evaluation report</h1>
<p>{e(run.qa_path)}: {len(run.items)} questions ({e(_selection(run))}), target {e(run.target)}, {e(run.started_at)},
{run.seconds:.1f} s</p>
<h2>Overall</h2>{overall}
{comparison_html(comparison) if comparison is not None else ""}
<h2>Per question type</h2>{per_type}
<h2>{e(first.name)} per split</h2>{per_split}
<h2>{e(first.name)} per question type and split</h2>{per_split_type}
<h2>{e(first.name)} per tag</h2>{per_tag}
<img src="accuracy_by_type.png" alt="answer accuracy per question type">
<img src="latency.png" alt="latency histogram">
<h2>Failures of {e(first.name)} ({len(failure_rows)})</h2>{failures_table}
</body></html>
"""

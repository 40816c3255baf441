"""The evaluation report: Markdown and JSON for people and machines, HTML with plots.

Questions and answers come from documents and users: every string is escaped in the HTML.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from assistant.evaluation.metrics import HIT_KS
from assistant.evaluation.runner import EvalRun, failures

HEADLINE = [f"hit@{k}" for k in HIT_KS] + [
    "mrr@10", "accuracy", "abstention_precision", "abstention_recall", "false_abstention",
    "citation_support", "verbatim_citations", "number_faithfulness", "latency_p50_ms", "latency_p95_ms",
    "latency_max_ms",
]
TYPE_METRICS = ["hit@5", "accuracy"]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(run: EvalRun) -> str:
    parts = [
        f"# Evaluation: {run.qa_path}",
        f"{len(run.items)} questions ({sum(i.answerable for i in run.items)} answerable), target {run.target}, "
        f"{run.started_at}, {run.seconds:.1f} s",
        "",
        "## Overall",
        _table(["system", *HEADLINE], [[s.name, *(_fmt(s.summary.get(m)) for m in HEADLINE)] for s in run.systems]),
    ]
    types = sorted({t for s in run.systems for t in s.by_type})
    for metric in TYPE_METRICS:
        parts += ["", f"## {metric} per question type",
                  _table(["system", *types], [[s.name, *(_fmt(s.by_type.get(t, {}).get(metric)) for t in types)]
                                              for s in run.systems])]
    first = run.systems[0]
    parts += ["", f"## {first.name} per document",
              _table(["document", "questions", "hit@5", "mrr@10", "accuracy", "abstention_recall"],
                     [[doc, str(v["questions"]), _fmt(v["hit@5"]), _fmt(v["mrr@10"]), _fmt(v["accuracy"]),
                       _fmt(v["abstention_recall"])] for doc, v in first.by_doc.items()])]
    parts += ["", f"{len(failures(first))} failures of {first.name} (see the HTML report or --json)."]
    return "\n".join(parts) + "\n"


def to_json(run: EvalRun) -> dict:
    return {
        "qa_path": run.qa_path,
        "target": run.target,
        "started_at": run.started_at,
        "seconds": run.seconds,
        "questions": len(run.items),
        "systems": {
            s.name: {"summary": s.summary, "by_type": s.by_type, "by_document": s.by_doc} for s in run.systems
        },
        "failures": [
            {
                "id": f.item.id, "type": f.item.type, "question": f.item.question,
                "expected": f.item.must_contain, "answer": f.observation.answer,
                "abstained": f.observation.abstained, "error": f.observation.error,
                "citations": [{"doc": c.doc, "text": c.text} for c in f.observation.citations],
            }
            for f in failures(run.systems[0])
        ],
    }


def write_reports(run: EvalRun, out_dir: Path) -> Path:
    """``index.html`` with its plots, ``report.md`` and ``report.json`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(to_markdown(run), encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(to_json(run), ensure_ascii=False, indent=2), encoding="utf-8")
    _plot_accuracy_by_type(run, out_dir / "accuracy_by_type.png")
    _plot_latency(run, out_dir / "latency.png")
    page = out_dir / "index.html"
    page.write_text(_html(run), encoding="utf-8")
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


def _html(run: EvalRun) -> str:
    e = html.escape
    overall = _html_table(["system", *HEADLINE],
                          [[e(s.name), *(e(_fmt(s.summary.get(m))) for m in HEADLINE)] for s in run.systems])
    types = sorted({t for s in run.systems for t in s.by_type})
    per_type = _html_table(["system / hit@5 · accuracy", *types], [
        [e(s.name), *(e(f"{_fmt(s.by_type.get(t, {}).get('hit@5'))} · {_fmt(s.by_type.get(t, {}).get('accuracy'))}")
                     for t in types)] for s in run.systems])
    first = run.systems[0]
    failure_rows = []
    for f in failures(first):
        citations = "<br>".join(f"<b>{e(c.doc)}</b>: {e(c.text[:300])}" for c in f.observation.citations[:3])
        failure_rows.append([
            e(f.item.id), e(f.item.type), e(f.item.question), e(", ".join(f.item.must_contain) or "(abstain)"),
            e(f.observation.error or ("(abstained) " if f.observation.abstained else "") + f.observation.answer[:400]),
            citations,
        ])
    failures_table = _html_table(["id", "type", "question", "expected", "answer given", "citations"], failure_rows)
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; white-space: pre-wrap; }} th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Evaluation report</h1>
<p>{e(run.qa_path)}: {len(run.items)} questions, target {e(run.target)}, {e(run.started_at)}, {run.seconds:.1f} s</p>
<h2>Overall</h2>{overall}
<h2>Per question type</h2>{per_type}
<img src="accuracy_by_type.png" alt="answer accuracy per question type">
<img src="latency.png" alt="latency histogram">
<h2>Failures of {e(first.name)} ({len(failure_rows)})</h2>{failures_table}
</body></html>
"""

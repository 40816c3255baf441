"""Two evaluation runs side by side: every headline figure with its change, and the questions that flipped.

A run is read back from its ``report.json`` (``assistant eval --out DIR`` writes one), so runs
made on other days, commits or machines compare as long as they share question ids. The
outcome of a question is one of right, wrong, abstained or error (an abstention on an
unanswerable question is right); a flip is a question whose outcome changed.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Outcome(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    ABSTAINED = "abstained"
    ERROR = "error"


@dataclass(frozen=True)
class QuestionResult:
    """One question of one run, as report.json keeps it."""

    id: str
    question: str
    type: str
    split: str
    expected: list[str]
    answer: str
    outcome: Outcome

    @classmethod
    def from_json(cls, data: dict) -> QuestionResult:
        return cls(id=data["id"], question=data["question"], type=data.get("type", ""), split=data.get("split", ""),
                   expected=list(data.get("expected", [])), answer=data.get("answer", ""),
                   outcome=Outcome(data["outcome"]))


@dataclass(frozen=True)
class Flip:
    old: QuestionResult
    new: QuestionResult

    @property
    def kind(self) -> str:
        """'newly right', 'newly wrong', 'newly abstained' or 'newly error'."""
        return f"newly {self.new.outcome.value}"


@dataclass(frozen=True)
class FigureChange:
    scope: str  # "all", "tune", "test"
    metric: str
    old: float | int | None
    new: float | int | None

    @property
    def delta(self) -> float | None:
        if isinstance(self.old, int | float) and isinstance(self.new, int | float):
            return self.new - self.old
        return None


@dataclass
class Comparison:
    old_label: str
    new_label: str
    system: str
    figures: list[FigureChange] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)  # question ids in one run only
    only_new: list[str] = field(default_factory=list)

    def flips_of(self, kind: str) -> list[Flip]:
        return [f for f in self.flips if f.kind == kind]


def outcome_of(scored) -> Outcome:
    """Right, wrong, abstained or error, for a ``metrics.Scored``; abstaining on an unanswerable question is right."""
    if scored.observation.error:
        return Outcome.ERROR
    if scored.truthfulness > 0:
        return Outcome.RIGHT
    return Outcome.ABSTAINED if scored.observation.abstained else Outcome.WRONG


class ReportError(ValueError):
    """A file that is not an evaluation report this version can compare."""


FLIP_KINDS = ("newly right", "newly wrong", "newly abstained", "newly error")


def load_report(path: Path) -> dict:
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not a readable JSON report ({exc})") from None
    if not isinstance(report, dict) or not isinstance(report.get("systems"), dict) or not report["systems"]:
        raise ReportError(f"{path}: no 'systems' in it: is it the report.json of `assistant eval`?")
    if not isinstance(report.get("results"), list):
        raise ReportError(f"{path}: no per-question 'results' (made before runs could be compared): run the "
                          "evaluation again to get one")
    return report


def compare_reports(old: dict, new: dict, old_label: str = "old", new_label: str = "new",
                    system: str | None = None) -> Comparison:
    """Figures of ``system`` (default: the first system of the new run) and the per-question flips."""
    name = system or next(iter(new["systems"]))
    for label, report in ((old_label, old), (new_label, new)):
        if name not in report["systems"]:
            raise ReportError(f"{label}: no system {name!r} in the report")
    comparison = Comparison(old_label, new_label, name)
    old_system, new_system = old["systems"][name], new["systems"][name]
    scopes = ["all", *(s for s in ("tune", "test") if s in new_system.get("by_split", {}))]
    from assistant.evaluation.report import HEADLINE

    for scope in scopes:
        old_figures = old_system["summary"] if scope == "all" else old_system.get("by_split", {}).get(scope, {})
        new_figures = new_system["summary"] if scope == "all" else new_system["by_split"][scope]
        for metric in ["questions", *HEADLINE]:
            comparison.figures.append(FigureChange(scope, metric, old_figures.get(metric), new_figures.get(metric)))
    old_results = {r["id"]: QuestionResult.from_json(r) for r in old["results"]}
    new_results = {r["id"]: QuestionResult.from_json(r) for r in new["results"]}
    for qid, result in new_results.items():
        before = old_results.get(qid)
        if before is not None and before.outcome is not result.outcome:
            comparison.flips.append(Flip(before, result))
    comparison.only_old = sorted(set(old_results) - set(new_results))
    comparison.only_new = sorted(set(new_results) - set(old_results))
    return comparison


# -- rendering ------------------------------------------------------------------------------------------------------

_TIMING = ("latency_", "_chars")


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) > 1.0 else f"{value:.3f}"
    return str(value)


def _signed(change: FigureChange) -> str:
    delta = change.delta
    if delta is None:
        return ""
    if delta == 0:
        return "="
    text = f"{delta:+.1f}" if change.metric.startswith(_TIMING) or change.metric.endswith(_TIMING) or \
        abs(delta) > 1 else f"{delta:+.3f}"
    return text


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def to_markdown(comparison: Comparison) -> str:
    c = comparison
    scopes = list(dict.fromkeys(f.scope for f in c.figures))
    parts = [f"# {c.system}: {c.old_label} → {c.new_label}", ""]
    header = "| metric | " + " | ".join(f"{s}: {c.old_label} | {s}: {c.new_label} | Δ" for s in scopes) + " |"
    parts += [header, "|" + "---|" * (1 + 3 * len(scopes))]
    metrics = list(dict.fromkeys(f.metric for f in c.figures))
    by_key = {(f.scope, f.metric): f for f in c.figures}
    for metric in metrics:
        cells = []
        for scope in scopes:
            change = by_key[(scope, metric)]
            cells += [_number(change.old), _number(change.new), _signed(change)]
        parts.append(f"| {metric} | " + " | ".join(cells) + " |")
    parts += ["", f"{len(c.flips)} questions flipped: "
              + ", ".join(f"{len(c.flips_of(kind))} {kind}" for kind in FLIP_KINDS)]
    for kind in FLIP_KINDS:
        flips = c.flips_of(kind)
        if not flips:
            continue
        parts += ["", f"## {kind} ({len(flips)})"]
        for flip in flips:
            new, old = flip.new, flip.old
            parts.append(f"- **{new.id}** ({new.type}, {new.split or '–'}) {_short(new.question, 120)}  "
                         f"expected: {', '.join(new.expected) or '(abstain)'}")
            parts.append(f"  - {c.old_label} ({old.outcome.value}): {_short(old.answer)}")
            parts.append(f"  - {c.new_label} ({new.outcome.value}): {_short(new.answer)}")
    if c.only_old or c.only_new:
        parts += ["", f"Questions in one run only: {len(c.only_old)} in {c.old_label}, {len(c.only_new)} in "
                      f"{c.new_label} (not compared)."]
    return "\n".join(parts) + "\n"


def to_html(comparison: Comparison) -> str:
    """A section for the HTML report; every string from questions and answers escaped."""
    c, e = comparison, html.escape
    scopes = list(dict.fromkeys(f.scope for f in c.figures))
    by_key = {(f.scope, f.metric): f for f in c.figures}
    head = "<th>metric</th>" + "".join(f"<th>{e(s)}: {e(c.old_label)}</th><th>{e(s)}: {e(c.new_label)}</th>"
                                       f"<th>Δ</th>" for s in scopes)
    rows = []
    for metric in dict.fromkeys(f.metric for f in c.figures):
        cells = "".join(f"<td>{e(_number(by_key[(s, metric)].old))}</td><td>{e(_number(by_key[(s, metric)].new))}"
                        f"</td><td>{e(_signed(by_key[(s, metric)]))}</td>" for s in scopes)
        rows.append(f"<tr><td>{e(metric)}</td>{cells}</tr>")
    parts = [f"<h2>Compared with {e(c.old_label)}</h2>",
             f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    for kind in FLIP_KINDS:
        flips = c.flips_of(kind)
        if not flips:
            continue
        items = "".join(
            f"<tr><td>{e(f.new.id)}</td><td>{e(f.new.question)}</td><td>{e(', '.join(f.new.expected) or '(abstain)')}"
            f"</td><td>{e(f.old.outcome.value)}: {e(f.old.answer)}</td><td>{e(f.new.outcome.value)}: "
            f"{e(f.new.answer)}</td></tr>" for f in flips)
        parts.append(f"<h3>{e(kind)} ({len(flips)})</h3><table><thead><tr><th>id</th><th>question</th>"
                     f"<th>expected</th><th>{e(c.old_label)}</th><th>{e(c.new_label)}</th></tr></thead>"
                     f"<tbody>{items}</tbody></table>")
    return "\n".join(parts)

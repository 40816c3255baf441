"""Run every system over the same questions and score them."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.evaluation.metrics import Observation, Scored, breakdown, score, summarize
from assistant.evaluation.qa import SPLITS, QAItem
from assistant.evaluation.systems import System

ALL = "all"  # the by_split entry over every question of the run
NO_SPLIT = "(none)"  # the by_split entry of questions without a split (a staff spreadsheet)


def split_label(item: QAItem) -> str:
    return item.split or NO_SPLIT


def split_order(names) -> list[str]:
    """The splits as columns: tune, test (always), any other label, then all."""
    extra = sorted(n for n in names if n not in SPLITS and n != ALL)
    return [*SPLITS, *extra, ALL]


@dataclass
class SystemRun:
    name: str
    scored: list[Scored]
    summary: dict
    by_type: dict
    by_doc: dict
    by_split: dict = field(default_factory=dict)  # split -> summary, and "all" -> the summary of the run
    by_split_type: dict = field(default_factory=dict)  # split (and "all") -> type -> summary
    by_tag: dict = field(default_factory=dict)  # tag -> summary of the questions carrying it


def build_system_run(name: str, scored: list[Scored]) -> SystemRun:
    summary = summarize(scored)
    by_type = breakdown(scored, lambda item: item.type)
    by_split = breakdown(scored, split_label)
    by_split_type = {
        split: breakdown([s for s in scored if split_label(s.item) == split], lambda item: item.type)
        for split in by_split
    }
    return SystemRun(
        name, scored, summary, by_type, breakdown(scored, lambda item: item.doc_label),
        by_split={**by_split, ALL: summary}, by_split_type={**by_split_type, ALL: by_type},
        by_tag=breakdown(scored, lambda item: item.tags),
    )


@dataclass
class EvalRun:
    qa_path: str
    target: str  # "in-process" or the URL
    started_at: str
    items: list[QAItem]
    systems: list[SystemRun] = field(default_factory=list)
    seconds: float = 0.0
    split: str = ALL  # the questions kept: "tune", "test" or "all"

    def system(self, name: str) -> SystemRun:
        return next(s for s in self.systems if s.name == name)


def run_evaluation(
    items: list[QAItem],
    systems: list[System],
    documents: dict[str, str],
    qa_path: str = "",
    target: str = "in-process",
    on_question: Callable[[], None] | None = None,
    split: str = ALL,
) -> EvalRun:
    """Every system on every item; ``split`` only labels the run (the caller chose the items)."""
    started = time.perf_counter()
    run = EvalRun(qa_path, target, time.strftime("%Y-%m-%dT%H:%M:%S%z"), items, split=split)
    for system in systems:
        scored = []
        for item in items:
            try:
                observation = system.run(item.question)
            except Exception as exc:  # one failing question must not lose the whole run's results
                observation = Observation(error=f"{type(exc).__name__}: {exc}"[:300])
            scored.append(score(item, observation, documents))
            if on_question is not None:
                on_question()
        run.systems.append(build_system_run(system.name, scored))
    run.seconds = round(time.perf_counter() - started, 2)
    return run


def failures(system_run: SystemRun) -> list[Scored]:
    """Answerable questions answered wrongly, unanswerable ones answered anyway, errors."""
    return [
        s for s in system_run.scored
        if s.observation.error
        or (s.item.answerable and not s.correct)
        or (not s.item.answerable and not s.observation.abstained)
    ]


def check_gate(run: EvalRun, thresholds_path: Path) -> list[str]:
    """Figures below their floor (or, for ``<metric>_max`` keys, above their ceiling): one message each.

    ``[assistant]`` bounds the summary of the whole run; a sub-table such as ``[assistant.test]``
    bounds the summary of that split only (a split with no question in this run fails).
    """
    floors = tomllib.loads(thresholds_path.read_text(encoding="utf-8"))
    messages = []
    for system_name, figures in floors.items():
        try:
            system = run.system(system_name)
        except StopIteration:
            messages.append(f"{system_name}: not in this run")
            continue
        bounds = {metric: bound for metric, bound in figures.items() if not isinstance(bound, dict)}
        messages += _check_bounds(system_name, system.summary, bounds)
        for split, split_bounds in figures.items():
            if not isinstance(split_bounds, dict):
                continue
            label = f"{system_name}.{split}"
            if split not in system.by_split:
                messages.append(f"{label}: no question of split {split!r} in this run")
                continue
            messages += _check_bounds(label, system.by_split[split], split_bounds)
    return messages


def _check_bounds(label: str, summary: dict, bounds: dict) -> list[str]:
    messages = []
    for metric, bound in bounds.items():
        if isinstance(bound, dict):  # a table nested deeper than system.split: nothing it could bound
            messages.append(f"{label}.{metric}: unexpected table in the thresholds")
            continue
        if metric.endswith("_max"):  # a ceiling: false abstentions, latency, answer length
            value = summary.get(metric.removesuffix("_max"))
            if value is None or value > bound:
                messages.append(f"{label} {metric.removesuffix('_max')} = {value} is above its ceiling {bound}")
            continue
        value = summary.get(metric)
        if value is None or value < bound:
            messages.append(f"{label} {metric} = {value} is below its floor {bound}")
    return messages

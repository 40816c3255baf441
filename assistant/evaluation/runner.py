"""Run every system over the same questions and score them."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.evaluation.metrics import Scored, breakdown, score, summarize
from assistant.evaluation.qa import QAItem
from assistant.evaluation.systems import System


@dataclass
class SystemRun:
    name: str
    scored: list[Scored]
    summary: dict
    by_type: dict
    by_doc: dict


@dataclass
class EvalRun:
    qa_path: str
    target: str  # "in-process" or the URL
    started_at: str
    items: list[QAItem]
    systems: list[SystemRun] = field(default_factory=list)
    seconds: float = 0.0

    def system(self, name: str) -> SystemRun:
        return next(s for s in self.systems if s.name == name)


def run_evaluation(
    items: list[QAItem],
    systems: list[System],
    documents: dict[str, str],
    qa_path: str = "",
    target: str = "in-process",
    on_question: Callable[[], None] | None = None,
) -> EvalRun:
    started = time.perf_counter()
    run = EvalRun(qa_path, target, time.strftime("%Y-%m-%dT%H:%M:%S%z"), items)
    for system in systems:
        scored = []
        for item in items:
            try:
                observation = system.run(item.question)
            except Exception as exc:  # one failing question must not lose the whole run's results
                from assistant.evaluation.metrics import Observation

                observation = Observation(error=f"{type(exc).__name__}: {exc}"[:300])
            scored.append(score(item, observation, documents))
            if on_question is not None:
                on_question()
        run.systems.append(SystemRun(
            system.name, scored, summarize(scored),
            breakdown(scored, lambda item: item.type), breakdown(scored, lambda item: item.doc_label),
        ))
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
    """Figures below their floor (or, for ``<metric>_max`` keys, above their ceiling): one message each."""
    floors = tomllib.loads(thresholds_path.read_text(encoding="utf-8"))
    messages = []
    for system_name, figures in floors.items():
        try:
            summary = run.system(system_name).summary
        except StopIteration:
            messages.append(f"{system_name}: not in this run")
            continue
        for metric, bound in figures.items():
            if metric.endswith("_max"):  # a ceiling: false abstentions, latency
                value = summary.get(metric.removesuffix("_max"))
                if value is None or value > bound:
                    messages.append(f"{system_name} {metric.removesuffix('_max')} = {value} is above its ceiling {bound}")
                continue
            value = summary.get(metric)
            if value is None or value < bound:
                messages.append(f"{system_name} {metric} = {value} is below its floor {bound}")
    return messages

"""Can learned weights rank the reader's candidates better than the hand-set ones?

For every answerable question, the reader's candidates (as the service reads them) are labelled by whether
their text holds one of the question's key strings. Logistic regressions are fitted on the tune split only
(pointwise, and pairwise over positive-negative pairs of one question) and every ranking is reported on
both splits as top-1 / top-3: the share of questions whose best (three best) candidates hold a key.

    .venv/bin/python bench/reader_ranking.py            # needs the index (make index) and scikit-learn (dev extra)
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.evaluation.qa import read_qa
from assistant.question import AnswerType, analyze_question
from assistant.reading import UnitKind, read
from assistant.reading.reader import READ_HITS, Candidate
from assistant.service import Assistant, evidence_of

QA = Path(__file__).resolve().parents[1] / "eval" / "qa.jsonl"
_SPACES = re.compile(r"\s+")
_NUMERIC = {AnswerType.COUNT, AnswerType.AMOUNT, AnswerType.PERCENT}
_WHEN = {AnswerType.DATE, AnswerType.PERIOD}
_WHO = {AnswerType.PERSON, AnswerType.ORGANIZATION, AnswerType.CONTACT, AnswerType.PLACE}


def features(candidate: Candidate, answer_type: AnswerType) -> list[float]:
    signals, unit = candidate.signals, candidate.unit
    typed, valued = signals["typed"], signals["valued"]
    cell = float(unit.kind is UnitKind.CELL)
    return [
        signals["own"], signals["trail"], signals["context"], float(signals["own"] + signals["trail"] >= 0.999),
        signals["attribute"], typed, valued * (1.0 - typed), typed * (answer_type in _NUMERIC),
        typed * (answer_type in _WHEN), typed * (answer_type in _WHO), 1.0 / unit.rank, math.log(unit.rank),
        *(float(unit.kind is kind) for kind in UnitKind), cell * signals["attribute"],
        math.log(1 + len(unit.text)), float(len(unit.text) <= 12), float(any(ch.isdigit() for ch in unit.text)),
        float(bool(unit.trail)),
    ]


def rows(assistant: Assistant, items) -> list[tuple[np.ndarray, np.ndarray]]:
    found = []
    for item in items:
        if not item.answerable:
            continue
        question = analyze_question(item.question)
        hits = evidence_of(assistant.index.retriever.search(question.query, READ_HITS), question.intent)
        candidates = read(question, hits, term_weight=assistant.index.term_weights).candidates
        if not candidates:
            found.append((np.zeros((0, 0)), np.zeros(0)))
            continue
        answer_type = question.compared or question.answer_type
        keys = [_SPACES.sub("", k) for k in item.must_contain]
        x = np.asarray([features(c, answer_type) for c in candidates])
        y = np.asarray([any(k in _SPACES.sub("", c.unit.text) for k in keys) for c in candidates], dtype=float)
        found.append((x, y))
    return found


def top_k(data, order, k: int) -> float:
    return round(float(np.mean([len(y) > 0 and y[order(x)[:k]].any() for x, y in data])), 3)


def pairs(data, per_question: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for x, y in data:
        positive, negative = np.where(y > 0)[0], np.where(y == 0)[0]
        for p in positive[:5]:
            for n in rng.choice(negative, min(per_question, len(negative)), replace=False):
                xs += [x[p] - x[n], x[n] - x[p]]
                ys += [1, 0]
    return np.asarray(xs), np.asarray(ys)


def main() -> None:
    assistant = Assistant()
    items = [item for _, item in read_qa(QA)[0]]
    tune = rows(assistant, [i for i in items if i.split == "tune"])
    test = rows(assistant, [i for i in items if i.split == "test"])
    print(f"questions with a candidate holding a key: tune {np.mean([y.any() for _, y in tune]):.3f}, "
          f"test {np.mean([y.any() for _, y in test]):.3f}")

    def report(name, order) -> None:
        print(f"{name:34s} top-1 tune {top_k(tune, order, 1):.3f} test {top_k(test, order, 1):.3f}   "
              f"top-3 tune {top_k(tune, order, 3):.3f} test {top_k(test, order, 3):.3f}")

    report("hand-set weights", lambda x: np.arange(len(x)))
    x = np.vstack([x for x, y in tune if len(y)])
    y = np.concatenate([y for _, y in tune if len(y)])
    for c in (0.1, 1.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(x, y)
        report(f"pointwise logistic C={c}", lambda m, model=model: np.argsort(-model.decision_function(m)))
    px, py = pairs([(x, y) for x, y in tune if len(y)])
    for c in (0.01, 0.1, 1.0):
        coef = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(px, py).coef_[0]
        report(f"pairwise logistic C={c}", lambda m, coef=coef: np.argsort(-(m @ coef)))


if __name__ == "__main__":
    main()

"""Scoring one system's output on one question, and summarizing many.

All string matching ignores whitespace, because the documents space names and numbers
freely (``940 - 4230``, ``이 성 호``) and a correct answer may not.

Retrieval: ``first_full_hit`` is the smallest k for which the top-k retrieved texts
together contain every key string; hit@k is the share of questions with first_full_hit
<= k and MRR@10 the mean of 1/first_full_hit (0 beyond 10).  The test suite checks
these against ranx on the same runs.

Answers: the *body* is the answer without its citation markers (``[1]``); its length in
characters measures how short the answer is.  ``concise_accuracy`` counts an answerable
question only when the answer is correct and its body is at most ``CONCISE_MAX_CHARS``.
``truthfulness`` is CRAG's score: +1 for a correct answer or a right abstention, 0 for an
abstention on an answerable question (or an error), -1 for a wrong answer or an answer to an
unanswerable question; its mean over all questions lies in [-1, 1].
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from assistant.answering.guard import unsupported_numbers
from assistant.evaluation.qa import QAItem

HIT_KS = (1, 3, 5, 10)
CONCISE_MAX_CHARS = 200  # a concise answer's body (markers removed) is at most this many characters
_WHITESPACE = re.compile(r"\s+")
_CITATION_MARKER = re.compile(r"\s*\[\d+\]")


def squash(text: str) -> str:
    return _WHITESPACE.sub("", text)


def answer_body(answer: str) -> str:
    """The answer without its citation markers: "정원 72명, 현원 68명입니다 [1]" -> "정원 72명, 현원 68명입니다"."""
    return _CITATION_MARKER.sub("", answer).strip()


@dataclass
class CitationOut:
    doc: str
    text: str


@dataclass
class Observation:
    """What a system did with one question."""

    answer: str = ""
    abstained: bool = False
    citations: list[CitationOut] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)  # texts of the ranked hits, best first
    latency_ms: float = 0.0
    error: str = ""


@dataclass
class Scored:
    item: QAItem
    observation: Observation
    first_full_hit: int | None  # None: not within the retrieved list (or nothing to find)
    correct: bool | None  # answerable questions only
    citation_supported: bool | None
    verbatim_citations: int
    citations: int
    numbers_faithful: bool | None  # answers that were given (not abstained)
    body_chars: int = 0  # characters of the answer body (citation markers removed)

    @property
    def answered(self) -> bool:
        return not self.observation.abstained and not self.observation.error

    @property
    def truthfulness(self) -> int:
        """+1 right (a correct answer, or an abstention on an unanswerable question), 0 abstained or error, -1 wrong."""
        if self.observation.error:
            return 0
        if self.item.answerable:
            return 0 if self.observation.abstained else (1 if self.correct else -1)
        return 1 if self.observation.abstained else -1


def first_full_hit(retrieved: list[str], keys: list[str], max_k: int = 10) -> int | None:
    if not keys:
        return None
    missing = {squash(k) for k in keys}
    for rank, text in enumerate(retrieved[:max_k], start=1):
        flat = squash(text)
        missing = {k for k in missing if k not in flat}
        if not missing:
            return rank
    return None


def contains_all(text: str, keys: Iterable[str]) -> bool:
    flat = squash(text)
    return all(squash(k) in flat for k in keys)


def score(item: QAItem, observation: Observation, documents: dict[str, str]) -> Scored:
    keys = item.must_contain
    answered = not observation.abstained and not observation.error
    verbatim = sum(1 for c in observation.citations if c.doc in documents and c.text and c.text in documents[c.doc])
    return Scored(
        item=item,
        observation=observation,
        first_full_hit=first_full_hit(observation.retrieved, keys),
        correct=(answered and contains_all(observation.answer, keys)) if item.answerable else None,
        citation_supported=(
            any(squash(k) in squash(c.text) for c in observation.citations for k in keys) if item.answerable else None
        ),
        verbatim_citations=verbatim,
        citations=len(observation.citations),
        numbers_faithful=(
            not unsupported_numbers(observation.answer, (c.text for c in observation.citations)) if answered else None
        ),
        body_chars=len(answer_body(observation.answer)),
    )


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def summarize(results: list[Scored]) -> dict[str, float | int | None]:
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    abstained = [r for r in results if r.observation.abstained]
    ranks = [r.first_full_hit for r in answerable]
    summary: dict[str, float | int | None] = {"questions": len(results), "answerable": len(answerable)}
    for k in HIT_KS:
        summary[f"hit@{k}"] = _mean([1.0 if rank is not None and rank <= k else 0.0 for rank in ranks])
    summary["mrr@10"] = _mean([1.0 / rank if rank is not None and rank <= 10 else 0.0 for rank in ranks])
    summary["accuracy"] = _mean([1.0 if r.correct else 0.0 for r in answerable])
    summary["concise_accuracy"] = _mean(
        [1.0 if r.correct and r.body_chars <= CONCISE_MAX_CHARS else 0.0 for r in answerable]
    )
    summary["truthfulness"] = _mean([float(r.truthfulness) for r in results])
    bodies = [r.body_chars for r in answerable if r.answered]
    summary["body_p50_chars"] = round(float(np.percentile(bodies, 50)), 1) if bodies else None
    summary["body_p90_chars"] = round(float(np.percentile(bodies, 90)), 1) if bodies else None
    true_abstentions = sum(1 for r in abstained if not r.item.answerable)
    summary["abstention_precision"] = round(true_abstentions / len(abstained), 4) if abstained else None
    summary["abstention_recall"] = round(true_abstentions / len(unanswerable), 4) if unanswerable else None
    summary["false_abstention"] = _mean([1.0 if r.observation.abstained else 0.0 for r in answerable])
    summary["citation_support"] = _mean([1.0 if r.citation_supported else 0.0 for r in answerable])
    total_citations = sum(r.citations for r in results)
    summary["verbatim_citations"] = (
        round(sum(r.verbatim_citations for r in results) / total_citations, 4) if total_citations else None
    )
    faithful = [r.numbers_faithful for r in results if r.numbers_faithful is not None]
    summary["number_faithfulness"] = _mean([1.0 if f else 0.0 for f in faithful])
    latencies = [r.observation.latency_ms for r in results]
    if latencies:
        summary["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
        summary["latency_p95_ms"] = round(float(np.percentile(latencies, 95)), 2)
        summary["latency_max_ms"] = round(float(np.max(latencies)), 2)
    summary["errors"] = sum(1 for r in results if r.observation.error)
    return summary


def breakdown(results: list[Scored], key) -> dict[str, dict]:
    """A summary per group; ``key(item)`` is the item's group, or a list of groups (tags: one item, several)."""
    groups: dict[str, list[Scored]] = {}
    for result in results:
        names = key(result.item)
        for name in [names] if isinstance(names, str) else names:
            groups.setdefault(name, []).append(result)
    return {name: summarize(group) for name, group in sorted(groups.items())}

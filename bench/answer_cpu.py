"""CPU per answer, in process: where a question's time goes, and how often Kiwi runs for it.

    .venv/bin/python bench/answer_cpu.py [--qa eval/qa.jsonl] [--limit N] [--profile FILE] [--dump FILE]

Loads the built index (``assistant.settings.get_settings()``: index/current, or ASSISTANT_INDEX_DIR), answers every
question of the Q&A set once to warm the process (Kiwi, the embedder, the per-line caches of document text), then:

- ``new``: every question again after the per-question caches are emptied (the answer cache and the query embedding
  cache, where this version of the code has them): what a question not asked before costs a warm server;
- ``repeat``: every question once more with those caches as the new pass left them: a repeated question (a messenger
  bot's example buttons, a retry).

Per pass it prints CPU time (``time.process_time``, the figure to trust on a shared machine) and wall time per
question (p50, p95, mean), the calls into the Kiwi analyser per question (counted on the shared Kiwi object, which
changes nothing it returns), the calls into the query embedder and their CPU and wall time, and the CPU time of
everything else. The e5 engine runs on OpenMP threads that spin while they wait: on cores other processes keep busy
its CPU time grows many times over (OMP_NUM_THREADS=1 shows the work itself).
``--profile FILE`` runs the ``new`` pass under cProfile, writes the stats to FILE and prints the top functions;
``--dump FILE`` writes, after the timed passes, every answer (without its timings) and every ``search`` ranking, and
a follow-up turn per question in a session, as JSON lines: two dumps of two versions of the code compare answer by
answer (the answers must stay identical).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLLOW_UPS = ("그 사업 담당자 연락처는?", "거기 예산은 얼마야?", "언제 해?")


class CountingKiwi:
    """The process's Kiwi object with its analysing methods counted: calls pass through unchanged."""

    COUNTED = frozenset({"tokenize", "analyze", "space", "split_into_sents", "extract_words", "join"})

    def __init__(self, kiwi) -> None:
        self._kiwi = kiwi
        self.calls = 0
        self.seconds = 0.0  # process CPU inside them

    def __getattr__(self, name):
        attribute = getattr(self._kiwi, name)
        if name not in self.COUNTED or not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            started = time.process_time()
            try:
                return attribute(*args, **kwargs)
            finally:
                self.calls += 1
                self.seconds += time.process_time() - started
        return counted


class TimedEmbedder:
    """The retriever's query embedder with its calls counted and timed."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.calls = 0
        self.cpu = 0.0
        self.wall = 0.0

    def embed_queries(self, texts):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return self._inner.embed_queries(texts)
        finally:
            self.calls += 1
            self.cpu += time.process_time() - cpu
            self.wall += time.perf_counter() - wall

    def __getattr__(self, name):
        return getattr(self._inner, name)


def count_kiwi() -> CountingKiwi:
    """Every Kiwi call of assistant.analysis goes through ``get_kiwi()``: hand it the counting wrapper."""
    from assistant.analysis import kiwi as kiwi_module

    counting = CountingKiwi(kiwi_module.get_kiwi())
    kiwi_module.get_kiwi = lambda: counting
    return counting


def forget_questions(assistant) -> None:
    """Empty the caches keyed by question (answers, query embeddings) where this version of the code has them."""
    forget = getattr(assistant, "forget_questions", None)
    if forget is not None:
        forget()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_pass(assistant, questions: list[str], kiwi: CountingKiwi, embedder: TimedEmbedder | None) -> dict:
    rows = []
    for question in questions:
        kiwi_before, embed_before = kiwi.calls, (embedder.calls, embedder.cpu, embedder.wall) if embedder else None
        cpu, wall = time.process_time(), time.perf_counter()
        assistant.ask(question)
        rows.append({
            "cpu_ms": (time.process_time() - cpu) * 1000,
            "wall_ms": (time.perf_counter() - wall) * 1000,
            "kiwi": kiwi.calls - kiwi_before,
            "embeds": embedder.calls - embed_before[0] if embedder else 0,
            "embed_cpu_ms": (embedder.cpu - embed_before[1]) * 1000 if embedder else 0.0,
            "embed_wall_ms": (embedder.wall - embed_before[2]) * 1000 if embedder else 0.0,
        })
        rows[-1]["rest_cpu_ms"] = rows[-1]["cpu_ms"] - rows[-1]["embed_cpu_ms"]
    return summarize(rows)


def summarize(rows: list[dict]) -> dict:
    def stats(key: str) -> dict:
        values = [r[key] for r in rows]
        return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "mean": statistics.fmean(values),
                "max": max(values)}
    return {"questions": len(rows), **{key: stats(key) for key in rows[0]}}


def print_pass(name: str, summary: dict) -> None:
    print(f"\n{name}: {summary['questions']} questions")
    print(f"  {'':22} {'p50':>8} {'p95':>8} {'mean':>8} {'max':>8}")
    for key, label in [("cpu_ms", "CPU ms / question"), ("wall_ms", "wall ms / question"),
                       ("kiwi", "Kiwi calls / question"), ("embeds", "query embeddings"),
                       ("embed_cpu_ms", "embedding CPU ms"), ("embed_wall_ms", "embedding wall ms"),
                       ("rest_cpu_ms", "CPU ms but embedding")]:
        s = summary[key]
        print(f"  {label:22} {s['p50']:8.2f} {s['p95']:8.2f} {s['mean']:8.2f} {s['max']:8.2f}")


def dump(assistant, questions: list[str], path: Path) -> None:
    """Every answer, ranking and follow-up as JSON lines, for comparing two versions of the code."""
    with path.open("w", encoding="utf-8") as out:
        for number, question in enumerate(questions):
            forget_questions(assistant)  # what is compared is what the pipeline computes, then what a cache returns
            for attempt in ("computed", "repeated"):
                response = assistant.ask(question).model_dump(exclude={"timing_ms"})
                out.write(json.dumps({"q": question, "how": attempt, "answer": response}, ensure_ascii=False) + "\n")
            hits = assistant.search(question, k=10)
            ranking = [[h.chunk.chunk_id, h.rank, h.score, h.ranks, h.scores] for h in hits]
            out.write(json.dumps({"q": question, "how": "search", "ranking": ranking}, ensure_ascii=False) + "\n")
            session = f"bench-{number}"
            assistant.ask(question, session_id=session)
            follow_up = FOLLOW_UPS[number % len(FOLLOW_UPS)]
            response = assistant.ask(follow_up, session_id=session).model_dump(exclude={"timing_ms"})
            out.write(json.dumps({"q": question, "how": f"follow-up {follow_up}", "answer": response},
                                 ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qa", type=Path, default=ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--profile", type=Path, help="cProfile the 'new' pass into this file")
    parser.add_argument("--dump", type=Path, help="write every answer and ranking here (JSON lines)")
    args = parser.parse_args()

    kiwi = count_kiwi()
    from assistant.service import Assistant
    from assistant.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    assistant = Assistant(settings)
    retriever = assistant.index.retriever
    embedder = None
    if retriever.embedder is not None:
        embedder = retriever.embedder = TimedEmbedder(retriever.embedder)
    questions = [json.loads(line)["question"] for line in args.qa.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    if args.limit:
        questions = questions[:args.limit]
    print(f"index {settings.index_dir} built {assistant.index.built_at}, retrieval {retriever.name}, "
          f"loaded in {time.perf_counter() - started:.1f} s; {len(questions)} questions; python {sys.version.split()[0]}")

    print_pass("warm-up (first time in this process)", run_pass(assistant, questions, kiwi, embedder))
    forget_questions(assistant)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    print_pass("new (warm process, question not asked before)", run_pass(assistant, questions, kiwi, embedder))
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
        print(f"\nprofile of the 'new' pass in {args.profile}; top functions by own time:")
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(20)
    print_pass("repeat (the same questions again)", run_pass(assistant, questions, kiwi, embedder))
    if args.dump:
        dump(assistant, questions, args.dump)
        print(f"\nanswers written to {args.dump}")


if __name__ == "__main__":
    main()

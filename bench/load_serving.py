"""Load benchmark of the serving set-ups, run on demand (never in the test suite: these machines are noisy).

    .venv/bin/python bench/load_serving.py [--seconds 60] [--concurrency 16 64] [--setups 1w 2w 2r] [--out FILE]

Set-ups, each started here on free 127.0.0.1 ports over the built index (index/), rate limit off (every client
here is 127.0.0.1: this measures the service, not the limiter):

    1w  `assistant serve --workers 1`            state store: SQLite (a temporary file)
    2w  `assistant serve --workers 2` (gunicorn)  state store: SQLite (a temporary file)
    2r  two `assistant serve --workers 1` replicas behind nginx (deploy/nginx.conf), state store: redis-server,
        ASSISTANT_ANSWER_SLOTS=1 each (deploy/systemd/assistant.env)

The client is a separate process, `concurrency` clients each POSTing /v1/ask in turn with the questions of
eval/qa.jsonl (a follow-up session per client), for `seconds` per point. --client wrk (the default): Debian's wrk
(`make bench-deps`), one thread, bench/wrk_ask.lua; it costs ~0.1 ms of CPU a request. --client httpx: asyncio +
httpx (bench/load_ask.py's loop), ~1 ms a request: on these 2 cores that client takes a third of the machine
from the servers once answers come from the cache, so the set-ups are compared with wrk. Per point: requests/s,
latency p50/p95/p99/max, errors, the CPU seconds the client itself used (it shares the machine's cores with the
servers) and the servers' (all their processes: workers, nginx, redis). Per set-up: Rss and Pss of every server
process from /proc/PID/smaps_rollup, idle (after one warm-up question) and after the load (Pss counts a page shared
by k processes as 1/k, so the Pss of the processes add up to what the set-up really uses).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_ask import _free_port, drive  # noqa: E402 - the same client loop as the single-server benchmark

ASSISTANT = ROOT / ".venv" / "bin" / "assistant"
SETUPS = {"1w": "1 worker", "2w": "2 workers (gunicorn)", "2r": "2 replicas behind nginx"}


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            sys.exit(f"{process.args} exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{url} not healthy within {timeout} s")
        time.sleep(0.1)


@contextmanager
def process(args: list[str], log: Path, env: dict[str, str] | None = None):
    with log.open("w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@contextmanager
def server(folder: Path, env: dict[str, str], workers: int = 1):
    port = _free_port()
    log = folder / f"serve-{port}.log"
    base = {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}
    with process([str(ASSISTANT), "serve", "--no-build", "--host", "127.0.0.1", "--port", str(port),
                  "--workers", str(workers)], log, {**base, **env}) as proc:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        yield url, proc


@contextmanager
def redis_server(folder: Path):
    port = _free_port()
    with process(["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--dir", str(folder)], folder / "redis.log") as proc:
        import redis

        client = redis.Redis(port=port)
        for _ in range(300):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", proc


@contextmanager
def nginx(folder: Path, replicas: list[str]):
    spec = importlib.util.spec_from_file_location("render_nginx", ROOT / "deploy" / "render_nginx.py")
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    port = _free_port()
    folder.mkdir()
    (folder / "temp").mkdir()
    conf = folder / "nginx.conf"
    # one nginx worker: it is a small share of the work here, and the cores are few
    conf.write_text(render.render(f"127.0.0.1:{port}", [r.removeprefix("http://") for r in replicas],
                                  temp_dir=str(folder / "temp"), access_log="off", user=getpass.getuser(),
                                  worker_processes="1"), encoding="utf-8")
    with process(["/usr/sbin/nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
                  "-g", f"daemon off; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'};"],
                 folder / "stdout.log") as proc:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, folder / "error.log", timeout=30)
        yield url, proc


def tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn's master and workers; nginx's master and worker)."""
    pids = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        pids += tree(int(child))
    return pids


def memory(pid: int) -> dict:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return {"pid": pid, "cmd": Path(f"/proc/{pid}/comm").read_text().strip(), **values}


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / hz, sum(values[:8]) / hz


def memory_report(roots: dict[str, int]) -> dict:
    processes = {name: [memory(p) for p in tree(pid)] for name, pid in roots.items()}
    everything = [m for ms in processes.values() for m in ms]
    return {"processes": processes, "total_rss_mb": round(sum(m["rss_mb"] for m in everything), 1),
            "total_pss_mb": round(sum(m["pss_mb"] for m in everything), 1)}


def drive_wrk(url: str, questions: list[str], concurrency: int, seconds: float, folder: Path, new: bool = False) -> dict:
    """One point with wrk: its figures, in the shape of load_ask.drive's, and the CPU seconds wrk used."""
    bodies = folder / "questions.jsonl"
    bodies.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with (folder / "wrk.out").open("w+") as out:
        wrk = subprocess.Popen(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--timeout", "30s",
                                "-s", str(ROOT / "bench" / "wrk_ask.lua"), url, "--", str(bodies), str(concurrency), *(["new"] if new else [])],
                               stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(wrk.pid, 0)
        wrk.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    elapsed = time.perf_counter() - started
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if wrk.returncode != 0 or not lines:
        sys.exit(f"wrk failed ({wrk.returncode}): {text[-2000:]}")
    figures = json.loads(lines[-1])
    errors = {kind: n for kind, n in figures["errors"].items() if n}
    duration = figures["duration_us"] / 1e6
    ok = figures["requests"] - figures["errors"]["status"]
    return {
        "concurrency": concurrency, "seconds": round(duration, 1), "requests": figures["requests"], "ok": ok,
        "errors": errors, "requests_per_s": round(ok / duration, 1),
        **{f"p{p}_ms": round(figures[f"p{p}_us"] / 1000, 1) for p in (50, 95, 99)},
        "max_ms": round(figures["max_us"] / 1000, 1),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "client_wall_s": round(elapsed, 1),
    }


def run_setup(name: str, questions: list[str], args, folder: Path) -> dict:
    folder.mkdir()
    with ExitStack() as stack:
        if name in ("1w", "2w"):
            if args.workers_store == "sqlite":
                env = {"ASSISTANT_STATE_STORE": f"sqlite:///{folder / 'state.db'}"}
            elif args.workers_store == "redis":
                env = {"ASSISTANT_STATE_STORE": stack.enter_context(redis_server(folder))[0]}
            else:
                env = {"ASSISTANT_STATE_STORE": "memory"}
            url, proc = stack.enter_context(server(folder, env, workers=1 if name == "1w" else 2))
            roots = {"server": proc.pid}
        else:
            store, redis_proc = stack.enter_context(redis_server(folder))
            # two replicas share the 2 cores: one answer computed at a time each, as deploy/systemd/assistant.env says
            replicas = [stack.enter_context(server(folder, {"ASSISTANT_STATE_STORE": store, "ASSISTANT_ANSWER_SLOTS": "1"}))
                        for _ in range(2)]
            url, nginx_proc = stack.enter_context(nginx(folder / "nginx", [u for u, _ in replicas]))
            roots = {"replica-1": replicas[0][1].pid, "replica-2": replicas[1][1].pid, "nginx": nginx_proc.pid,
                     "redis": redis_proc.pid}
        with httpx.Client(base_url=url, timeout=120) as client:  # every worker gets a question before we measure
            for question in questions[:8]:
                client.post("/v1/ask", json={"question": question}).raise_for_status()
        result = {"setup": SETUPS[name], "memory_idle": memory_report(roots), "points": []}
        server_pids = [p for root in roots.values() for p in tree(root)]
        for concurrency in args.concurrency:
            client_cpu, server_cpu, (busy, total) = time.process_time(), cpu_seconds(server_pids), machine_cpu()
            if args.client == "wrk":
                point = drive_wrk(url, questions, concurrency, args.seconds, folder, new=args.new_questions)
                client_cpu = point.pop("client_cpu_s")
            else:
                point = asyncio.run(drive(url, questions, concurrency, args.seconds, args.max_requests))
                client_cpu = time.process_time() - client_cpu
            server_cpu = cpu_seconds(server_pids) - server_cpu
            busy, total = machine_cpu()[0] - busy, machine_cpu()[1] - total
            # what else ran on the machine meanwhile (other jobs make the figures noisy: say how much)
            point["other_processes_cpu_s"] = round(max(busy - client_cpu - server_cpu, 0), 1)
            point["machine_busy_share"] = round(busy / total, 2) if total else None
            point["client_cpu_s"] = round(client_cpu, 1)
            point["client_cpu_share_of_cores"] = round(client_cpu / (point["seconds"] * os.cpu_count()), 2)
            point["server_cpu_s"] = round(server_cpu, 1)
            # answers per CPU second of the servers: what the set-up costs, less sensitive to other jobs than req/s
            point["answers_per_server_cpu_s"] = round(point["ok"] / server_cpu, 1) if server_cpu else None
            result["points"].append(point)
            print(json.dumps({"setup": name, **point}, ensure_ascii=False), flush=True)
        result["memory_after_load"] = memory_report(roots)
        return result


def summary(results: dict) -> str:
    lines = ["| set-up | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | client CPU | server CPU | answers per server CPU s | other CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in results.values():
        for p in result["points"]:
            lines.append(f"| {result['setup']} | {p['concurrency']} | {p['requests_per_s']} | {p['p50_ms']} | "
                         f"{p['p95_ms']} | {p['p99_ms']} | {sum(p['errors'].values())} | "
                         f"{p['client_cpu_s']} s ({p['client_cpu_share_of_cores']:.0%}) | {p['server_cpu_s']} s | "
                         f"{p['answers_per_server_cpu_s']} | {p['other_processes_cpu_s']} s |")
    lines += ["", "| set-up | process | Rss MB idle | Pss MB idle | Rss MB after | Pss MB after |", "|---|---|---:|---:|---:|---:|"]
    for result in results.values():
        idle, after = result["memory_idle"], result["memory_after_load"]
        for role, procs in idle["processes"].items():
            later = {m["pid"]: m for m in after["processes"].get(role, [])}
            for m in procs:
                a = later.get(m["pid"], {})
                lines.append(f"| {result['setup']} | {role} {m['cmd']} {m['pid']} | {m['rss_mb']} | {m['pss_mb']} | "
                             f"{a.get('rss_mb', '-')} | {a.get('pss_mb', '-')} |")
        lines.append(f"| {result['setup']} | **total** | {idle['total_rss_mb']} | {idle['total_pss_mb']} | "
                     f"{after['total_rss_mb']} | {after['total_pss_mb']} |")
    if "1w" in results and "2w" in results:
        for c1, c2 in zip(results["1w"]["points"], results["2w"]["points"], strict=False):
            lines.append(f"\n2 workers / 1 worker at concurrency {c1['concurrency']}: "
                         f"{c2['requests_per_s'] / max(c1['requests_per_s'], 1e-9):.2f}x requests/s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="per concurrency level and set-up")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    parser.add_argument("--workers-store", choices=["sqlite", "redis", "memory"], default="sqlite",
                        help="the state store of the 1w and 2w set-ups (2r always uses redis)")
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk",
                        help="the load generator (see above); --max-requests applies to httpx only")
    parser.add_argument("--new-questions", action="store_true",
                        help="wrk: every request a question not asked before (' #<n>' added), so no cache answers it")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--qa", type=Path, default=ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--out", type=Path, help="also write the JSON results here")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.new_questions and args.client != "wrk":
        sys.exit("--new-questions needs --client wrk")
    if args.client == "wrk" and shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench-deps` (Debian's wrk), or --client httpx")
    results = {}
    with tempfile.TemporaryDirectory(prefix="load-serving-") as tmp:
        for name in args.setups:
            results[name] = run_setup(name, questions, args, Path(tmp) / name)
    report = {"cores": os.cpu_count(), "client": args.client, "new_questions": args.new_questions, "workers_store": args.workers_store, "seconds_per_point": args.seconds, "questions": len(questions), "results": results}
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(summary(results))


if __name__ == "__main__":
    main()

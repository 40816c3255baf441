"""The hostile requests of issue 11, re-run against a real server: how each is answered and how fast.

    .venv/bin/python bench/hostile_requests.py [--url URL] [--burst-seconds 60] [--flood-only]

Without --url it starts `assistant serve --no-build` on a free 127.0.0.1 port over the built index (index/) with the
default limits, since the limits are part of what is measured. Reported, each with its status and time:

1. 40 of the worst chat bodies (1 MiB, ~35,000 one-letter user messages) in flight at once, while /healthz is polled
   every 10 ms from another process: each chat status and time, and /healthz's p50/p95/max over the whole episode;
2. non-finite numbers (NaN, Infinity, 1e400) in the bodies of /v1/ask, /v1/search and /kakao/skill;
3. a lone surrogate ("\\ud800") in a question, a session_id, a chat message and a Kakao utterance;
4. the Kakao burst: 300 different users from one address spread over --burst-seconds (how many refused), then one
   user sending 300 (how many limited, and whether each limited reply is a skill 2.0 reply);
5. random X-Forwarded-For values once the address's bucket is empty (how many get through);
6. a body that stalls after 10 of its 100 declared bytes (status and the time until the server answers).

A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BODY_CAP = 1024 * 1024  # the default ASSISTANT_MAX_BODY_BYTES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="hostile-serve-", suffix=".log", delete=False)
    process = subprocess.Popen([str(ROOT / ".venv/bin/assistant"), "serve", "--no-build", "--port", str(port)],
                               cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited: {Path(log.name).read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    sys.exit("server did not become healthy")


def timed(method: str, url: str, **kwargs) -> tuple[int, float, str]:
    started = time.perf_counter()
    try:
        response = httpx.request(method, url, timeout=120, **kwargs)
        return response.status_code, (time.perf_counter() - started) * 1000, response.text
    except httpx.HTTPError as exc:
        return -1, (time.perf_counter() - started) * 1000, type(exc).__name__


def kakao_payload(utterance: str, user_id: str) -> dict:
    return {"userRequest": {"utterance": utterance, "user": {"id": user_id, "type": "botUserKey", "properties": {}}},
            "bot": {"id": "bench-bot", "name": "bench"}, "action": {"params": {}, "detailParams": {}}}


def is_skill_reply(text: str) -> bool:
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return body.get("version") == "2.0" and "template" in body


HEALTH_POLLER = """
import http.client, select, sys, time
host, port = sys.argv[1].removeprefix("http://").split(":")
while not select.select([sys.stdin], [], [], 0)[0]:
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/healthz")
        ok = connection.getresponse().status == 200
        connection.close()
    except OSError:
        ok = False
    print(round((time.perf_counter() - started) * 1000, 1) if ok else -1, flush=True)
    time.sleep(0.01)
"""


def worst_chat_flood(url: str, in_flight: int = 40) -> None:
    # compact JSON, as many one-letter messages as fit under the default 1 MiB cap: the body is read and parsed
    message = '{"role":"user","content":"a"}'
    head, tail = '{"model":"plan-assistant","messages":[', "]}"
    count = (BODY_CAP - len(head) - len(tail) + 1) // (len(message) + 1)
    body = head + ",".join([message] * count) + tail
    print(f"1. {in_flight} chat bodies of {len(body.encode())} bytes ({count} messages) in flight")
    # /healthz is polled from a process of its own: 40 uploading threads here would hold this process's GIL and
    # the poll would time the client, not the server
    poller = subprocess.Popen([sys.executable, "-c", HEALTH_POLLER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    time.sleep(0.3)  # a few polls before the flood, as a reference
    with ThreadPoolExecutor(in_flight) as pool:
        results = list(pool.map(lambda _: timed("POST", f"{url}/v1/chat/completions", content=body,
                                                headers={"Content-Type": "application/json"}), range(in_flight)))
    polls, _ = poller.communicate("stop\n", timeout=60)
    health = [float(ms) for ms in polls.split()]
    failed_health = sum(ms < 0 for ms in health)
    health = [ms for ms in health if ms >= 0]
    statuses = sorted({r[0] for r in results})
    times = np.array([r[1] for r in results])
    print(f"   chat statuses {statuses}, time p50 {np.percentile(times, 50):.0f} ms, max {times.max():.0f} ms; "
          f"e.g. {results[0][2][:150]!r}")
    print(f"   /healthz meanwhile: {len(health)} polls, {failed_health} failed, p50 {np.percentile(health, 50):.1f} ms, "
          f"p95 {np.percentile(health, 95):.1f} ms, max {max(health):.1f} ms")


def bad_values(url: str) -> None:
    print("2-3. non-finite numbers and lone surrogates")
    json_type = {"Content-Type": "application/json"}
    cases = [
        ("/v1/ask", b'{"question": NaN}'), ("/v1/ask", b'{"question": "a", "top_k": Infinity}'),
        ("/v1/ask", b'{"question": 1e400}'), ("/v1/search", b'{"query": "a", "top_k": NaN}'),
        ("/v1/search", b'{"query": -Infinity}'), ("/kakao/skill", b'{"userRequest": {"utterance": NaN}}'),
        ("/kakao/skill", b'{"userRequest": {"utterance": "a", "user": {"id": 1e400}}}'),
        ("/v1/ask", b'{"question": "\\ud800"}'), ("/v1/ask", b'{"question": "abc", "session_id": "\\udfff"}'),
        ("/v1/chat/completions", b'{"model": "plan-assistant", "messages": [{"role": "user", "content": "\\ud800"}]}'),
        ("/kakao/skill", json.dumps(kakao_payload("\ud800", "u1")).encode()),  # ASCII JSON: the escape stays
    ]
    for path, body in cases:
        status, ms, text = timed("POST", f"{url}{path}", content=body, headers=json_type)
        kind = "skill reply" if path.startswith("/kakao") and is_skill_reply(text) else text[:70]
        print(f"   {path:22s} {body[:60]!r:64s} -> {status} in {ms:5.1f} ms  {kind}")


def kakao_burst(url: str, seconds: float) -> None:
    users = 300
    print(f"4. Kakao: {users} different users from one address over {seconds:.0f} s")
    refused = 0
    started = time.monotonic()
    for n in range(users):
        time.sleep(max(0.0, started + n * seconds / users - time.monotonic()))
        status, _, text = timed("POST", f"{url}/kakao/skill", json=kakao_payload("연구원 예산", f"user-{n}"))
        refused += status != 200 or "잠시 후" in text
    print(f"   refused or limited: {refused} of {users}")
    limited = skill_replies = 0
    for _ in range(users):
        status, _, text = timed("POST", f"{url}/kakao/skill", json=kakao_payload("연구원 예산", "one-busy-user"))
        if "잠시 후" in text:
            limited += 1
            skill_replies += status == 200 and is_skill_reply(text)
    print(f"   one user sending {users} at once: {limited} limited, {skill_replies} of them skill 2.0 replies")


def forwarded_spoof(url: str, requests: int = 300) -> None:
    print(f"5. random X-Forwarded-For after the bucket is empty ({requests} requests)")
    for _ in range(400):  # empty this address's bucket
        if timed("POST", f"{url}/v1/search", json={"query": "예산"})[0] == 429:
            break
    passed = sum(timed("POST", f"{url}/v1/search", json={"query": "예산"},
                       headers={"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.1"})[0] != 429
                 for _ in range(requests))
    print(f"   accepted: {passed} of {requests} (the bucket refills at the limit's rate meanwhile, forged header or not)")


def stalled_body(url: str) -> None:
    print("6. a body that stalls after 10 of its 100 declared bytes")
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=120) as sock:
        sock.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                     b'{"questio')
        try:
            answer = sock.recv(4096).decode(errors="replace")
        except TimeoutError:
            answer = "(nothing within 120 s)"
    print(f"   -> {answer.splitlines()[0] if answer else '(connection closed)'} after "
          f"{time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--burst-seconds", type=float, default=60.0)
    parser.add_argument("--flood-only", action="store_true", help="only the 40 worst chat bodies (case 1)")
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        url, process = start_server({})
    try:
        worst_chat_flood(url)
        if args.flood_only:
            return
        bad_values(url)
        kakao_burst(url, args.burst_seconds)
        stalled_body(url)  # before the spoofing test, which empties this address's bucket
        forwarded_spoof(url)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

"""Two `assistant serve` replicas behind Debian's nginx (deploy/nginx.conf), sharing one redis-server state store
and one index folder: load is spread, a follow-up is answered by either replica, the web chat works through
nginx in a real browser (sticky routing), and an index rebuilt on one replica reaches the other without a
failed request. Real processes only; every one is stopped when the module is done, also on failure."""

from __future__ import annotations

import getpass
import importlib.util
import shutil
import subprocess
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, ROOT, free_port, running_server, stop_process
from state.redis_process import redis_server
from ui.chat_page import ask_in_page  # nginx and redis-server come from `make system-deps`

NGINX = Path("/usr/sbin/nginx")
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "replica-admin-token"
FIRST, FOLLOW_UP = "고양시정연구원 학술행사 담당자 알려줘", "그럼 팀장은?"
WAIT = 180  # seconds: a safety limit for waits, not a speed requirement

def _render():
    spec = importlib.util.spec_from_file_location("render_nginx", ROOT / "deploy" / "render_nginx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render


@contextmanager
def running_nginx(folder: Path, replicas: list[str]):
    """nginx (not a daemon) on a free 127.0.0.1 port over ``replicas`` (base URLs); yields its base URL."""
    port = free_port()
    (folder / "temp").mkdir(parents=True)
    conf = folder / "nginx.conf"
    conf.write_text(_render()(f"127.0.0.1:{port}", [r.removeprefix("http://") for r in replicas],
                              temp_dir=str(folder / "temp"), access_log=str(folder / "access.log"),
                              user=getpass.getuser(), worker_processes="1"), encoding="utf-8")
    process = subprocess.Popen([str(NGINX), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
                                "-g", f"daemon off; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'};"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (folder / "error.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "nginx did not answer /healthz"
            time.sleep(0.1)
        yield url
    finally:
        stop_process(process)


@dataclass
class Cluster:
    nginx: str  # base URL
    replicas: list[str]  # base URLs of the two replicas
    folder: Path

    def upstream(self, response: httpx.Response) -> str:
        return "http://" + response.headers["X-Upstream"]

    def other(self, replica: str) -> str:
        return next(r for r in self.replicas if r != replica)


@pytest.fixture(scope="module")
def cluster(corpus_index, tmp_path_factory):
    folder = tmp_path_factory.mktemp("replicas")
    index = folder / "index"  # one index folder for both replicas; the rebuild test rewrites it
    shutil.copytree(corpus_index, index)
    with ExitStack() as stack:
        store, _ = stack.enter_context(redis_server())
        env = {
            "ASSISTANT_STATE_STORE": store,
            "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
            "ASSISTANT_ADMIN_TOKEN": TOKEN,
            "ASSISTANT_CORPUS_DIR": str(CORPUS),
            "ASSISTANT_CACHE_DIR": str(ROOT / "index" / "cache"),  # warm: the rebuild embeds nothing new
        }
        replicas = [stack.enter_context(running_server(index, env=env))[0] for _ in range(2)]
        nginx = stack.enter_context(running_nginx(folder / "nginx", replicas))
        yield Cluster(nginx, replicas, folder / "nginx")


def test_requests_are_spread_over_both_replicas(cluster):
    with httpx.Client(base_url=cluster.nginx, timeout=60) as client:
        responses = [client.post("/v1/ask", json={"question": FIRST}) for _ in range(10)]
    assert [r.status_code for r in responses] == [200] * 10
    assert {cluster.upstream(r) for r in responses} == set(cluster.replicas)
    assert len({r.json()["answer"] for r in responses}) == 1  # both replicas answer alike
    assert "노관령" in responses[0].json()["answer"]


def test_a_follow_up_is_answered_by_the_other_replica(cluster):
    with httpx.Client(timeout=60) as client:
        first = client.post(f"{cluster.nginx}/v1/ask", json={"question": FIRST, "session_id": "s1"})
        assert first.status_code == 200 and "노관령" in first.json()["answer"]
        other = cluster.other(cluster.upstream(first))
        follow_up = client.post(f"{other}/v1/ask", json={"question": FOLLOW_UP, "session_id": "s1"})
        # a session the store has never seen asks what is meant: the session really travelled
        unknown = client.post(f"{other}/v1/ask", json={"question": FOLLOW_UP, "session_id": "s-unknown"})
    assert follow_up.status_code == 200
    assert "백주현" in follow_up.json()["answer"], follow_up.json()["answer"]
    assert "백주현" not in unknown.json()["answer"]


# the web chat through nginx


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); `make system-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            yield browser
        finally:
            browser.close()


def test_the_web_chat_works_through_nginx_on_one_replica_per_browser(cluster, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="ko-KR")
    try:
        upstreams: dict[str, set[str]] = {"ui": set(), "queue": set()}

        def record(response) -> None:
            if response.url.startswith(cluster.nginx) and "x-upstream" in response.headers:
                kind = "queue" if "/gradio_api/queue/" in response.url else "ui"
                upstreams[kind].add(response.headers["x-upstream"])

        context.on("response", record)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                      else route.abort())
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(f"{cluster.nginx}/")
        page.wait_for_selector("#question textarea")
        page.wait_for_function("document.querySelector('#mode-line')?.innerText.includes('검색 방식')")

        answer = ask_in_page(page, "고양시정연구원 학술행사는 어떤 사업이야?")
        assert answer.inner_text().strip()
        follow_up = ask_in_page(page, "그 사업 담당자 연락처는?")  # the session lives in the replica's gr.State
        assert "노관령" in follow_up.inner_text() and "8073-8344" in follow_up.inner_text()
        page.screenshot(path=str(ROOT / "tests" / "artifacts" / "ui_through_nginx.png"), full_page=True)

        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies.get("assistant_route"), "nginx set no routing cookie"
        # the page, its queue joins and the answer stream all came from one replica
        assert upstreams["queue"], "no Gradio queue request went through nginx"
        assert len(upstreams["ui"] | upstreams["queue"]) == 1, upstreams
    finally:
        context.close()


def test_browsers_are_spread_over_the_replicas_by_their_cookie(cluster):
    """Without a cookie each browser gets a fresh key: over 20 of them both replicas get browsers."""
    seen = set()
    for _ in range(20):
        with httpx.Client(base_url=cluster.nginx, timeout=30) as browser_like:
            first = browser_like.get("/")
            assert first.status_code == 200 and "assistant_route" in browser_like.cookies
            again = browser_like.get("/gradio_api/info")
            assert again.headers["X-Upstream"] == first.headers["X-Upstream"]  # sticky
            seen.add(first.headers["X-Upstream"])
    assert {f"http://{s}" for s in seen} == set(cluster.replicas)


# an index rebuilt on one replica


def test_an_index_rebuilt_on_one_replica_is_served_by_the_other_without_a_failed_request(cluster):
    builder, other = cluster.replicas
    before = httpx.get(f"{other}/healthz").json()
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal answered
        with httpx.Client(base_url=cluster.nginx, timeout=60) as client:
            while not stop.is_set():
                try:
                    response = client.post("/v1/ask", json={"question": FIRST})
                    if response.status_code != 200 or "노관령" not in response.json()["answer"]:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        answered += 1
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    asker = threading.Thread(target=keep_asking, daemon=True)
    asker.start()
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        started = httpx.post(f"{builder}/v1/admin/reindex", headers=auth, timeout=30)
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + WAIT
        while (status := httpx.get(f"{builder}/v1/admin/reindex", headers=auth, timeout=30).json())["state"] == "building":
            assert time.monotonic() < deadline, "the rebuild did not finish"
            time.sleep(0.5)
        assert status["state"] == "done", status
        rebuilt = httpx.get(f"{builder}/healthz").json()["index_built_at"]
        assert rebuilt != before["index_built_at"]

        # the other replica was not told: it notices the new index by itself
        deadline = time.monotonic() + WAIT
        while (seen := httpx.get(f"{other}/healthz").json()["index_built_at"]) != rebuilt:
            assert time.monotonic() < deadline, f"the other replica still serves the index built at {seen}"
            time.sleep(0.5)
        time.sleep(1)  # a few more questions on the new index on both replicas
    finally:
        stop.set()
        asker.join(timeout=90)
    assert answered > 0
    assert not failures, failures[:5]

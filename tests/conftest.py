from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.chunking import Chunk, chunk_document
from assistant.ingest import Document, load_document, read_manifest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own browser download needs the internet
TIMEOUT_MS = 90_000  # browser tests: a safety limit for waits, not a speed requirement


@pytest.fixture(scope="session")
def corpus_documents() -> dict[str, Document]:
    manifest = read_manifest(CORPUS)
    docs = [load_document(CORPUS / name, info) for name, info in manifest.items()]
    return {doc.doc_id: doc for doc in docs}


@pytest.fixture(scope="session")
def corpus_chunks(corpus_documents) -> dict[str, list[Chunk]]:
    return {doc_id: chunk_document(doc) for doc_id, doc in corpus_documents.items()}


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> Path:
    """The real corpus ingested into a fresh index folder (what `make run` builds)."""
    from assistant.index import ingest
    from assistant.settings import Settings

    index_dir = tmp_path_factory.mktemp("index")
    # the embedding cache is the project's: the corpus is embedded once for the tests and `make run`
    report = ingest([CORPUS], Settings(index_dir=index_dir, cache_dir=ROOT / "index" / "cache"))
    assert len(report.documents) == 5 and not report.skipped
    return index_dir


@pytest.fixture(scope="session")
def corpus_texts(corpus_documents) -> dict[str, str]:
    return {doc_id: doc.text for doc_id, doc in corpus_documents.items()}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process) -> None:
    """Terminate a process a test started, killed if it does not end within 10 s; waited for either way."""
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(index_dir: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ("--no-build",),
                   timeout: float = 120):
    """A real `assistant serve` process on a free 127.0.0.1 port; yields (base URL, process).

    ``env`` adds ASSISTANT_* settings (rate limit, admin token, ...) for this server only.
    """
    import os
    import subprocess
    import sys
    import tempfile
    import time

    import httpx

    port = free_port()
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), **(env or {})}
    # the output goes to a file, not a pipe: a pipe nobody reads fills up and blocks the server
    log = tempfile.NamedTemporaryFile(prefix="assistant-serve-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                *args], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = Path(log.name)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become healthy within {timeout} s")
            time.sleep(0.3)
        yield url, process
    finally:
        stop_process(process)
        log.close()
        process.log_path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def server_url(corpus_index):
    """A real `assistant serve` process on a free 127.0.0.1 port, over the corpus index (shared by the session)."""
    # every test client is 127.0.0.1: the per-client limit would throttle the suite, so it is tested on its own server
    with running_server(corpus_index, env={"ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}) as (url, _):
        yield url


# the browser the UI tests drive: one per module, a fresh context (its own session) per test


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (its own session) that may reach nothing but 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="ko-KR")
    outside: list[str] = []

    def only_local(route):
        if re.match(r"https?://127\.0\.0\.1[:/]", route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()
    assert not outside, f"the UI tried to load from outside the server: {outside}"

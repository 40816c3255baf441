"""A real redis-server (the Debian package, /usr/bin/redis-server) on a free 127.0.0.1 port, for the tests that
use the Redis state store (tests/state, tests/api)."""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import contextmanager

import redis
from conftest import free_port


@contextmanager
def redis_server():
    """A throwaway redis-server without persistence; yields its URL and the process, stopped at the end."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        process.wait(10)

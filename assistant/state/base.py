"""The state several server processes share: follow-up sessions, rate-limit buckets, the index version.

One small interface, three backends (``memory``: one process; ``sqlite``: the workers of one machine; ``redis``:
several machines). Every backend keeps the same contract, tested against all three in tests/state/.

Failure handling: a backend turns its own errors (a lost Redis connection, a SQLite file that stays locked) into
``StoreUnavailable``. Opening a store checks it is reachable, so a wrong URL stops the server at start with a
clear message; at run time the callers decide what an outage means (see ``SessionMemory`` and ``RateLimit``:
sessions are treated as absent, rate limits fail open), so a store outage never becomes a 500.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol, runtime_checkable

INDEX_VERSION = "index_version"  # the name under which the built_at of the index last built is kept


class StoreUnavailable(RuntimeError):
    """The state store could not be reached or did not answer; the message names the store, never a secret."""


@runtime_checkable
class StateStore(Protocol):
    """What the service shares between processes. Implementations are safe to call from several threads."""

    url: str  # for logs and errors, without a password

    def get_session(self, key: str, now: float) -> str | None:
        """The value stored under ``key``, or None when there is none or it expired before ``now``."""

    def put_session(self, key: str, value: str, *, namespace: str, now: float, ttl_seconds: float,
                    max_per_namespace: int, max_total: int) -> None:
        """Store ``value`` under ``key`` until ``now + ttl_seconds``, counted in ``namespace`` (the client that
        wrote it). Past ``max_per_namespace`` sessions the namespace's least recently written one is dropped:
        a client filling sessions evicts only its own. Past ``max_total`` the least recently written session of
        the largest namespace is dropped (Redis bounds the total by the TTL alone, see redis.py)."""

    def session_count(self) -> int:
        """Sessions stored (expired ones not yet dropped may be counted)."""

    def take_token(self, key: str, capacity: float, refill_per_second: float, now: float) -> float:
        """Atomically take a token from the bucket ``key`` (full at first, ``capacity`` tokens, refilled at
        ``refill_per_second``): 0 when there was one, else the seconds until there will be. ``now`` is wall-clock
        time (time.time()): the processes sharing a bucket must agree on it."""

    def get_value(self, name: str) -> str | None:
        """A named string (e.g. ``INDEX_VERSION``), or None."""

    def set_value(self, name: str, value: str) -> None:
        """Set a named string for every process sharing the store."""

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""


def refill(tokens: float, seen: float, capacity: float, refill_per_second: float, now: float) -> tuple[float, float]:
    """The bucket math every backend shares (Redis repeats it in Lua): (tokens left, seconds to wait).

    A clock that went back (another machine's ``now`` a little behind) adds nothing and takes nothing."""
    tokens = min(capacity, tokens + max(0.0, now - seen) * refill_per_second)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / refill_per_second


def seconds_to_full(tokens: float, capacity: float, refill_per_second: float) -> float:
    """After this long untouched a bucket is full again, the same as no bucket: it can be forgotten."""
    return max(0.0, capacity - tokens) / refill_per_second


class OutageLog:
    """A warning when the store fails, at most one per ``every`` seconds: during an outage every request fails
    the same way, and one line says it as well as thousands."""

    def __init__(self, logger: logging.Logger, every: float = 30.0) -> None:
        self.logger = logger
        self.every = every
        self._last = -math.inf

    def warn(self, what: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.logger.warning("%s: %s", what, exc)

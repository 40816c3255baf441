"""The state of one process, in dictionaries: the default, for one worker (and for tests and the CLI)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from assistant.state.base import refill, seconds_to_full

MAX_BUCKETS = 100_000  # token buckets kept at most; idle ones (full again) are dropped first


@dataclass
class _Session:
    value: str
    namespace: str
    expires: float


class MemoryStore:
    """Sessions in one LRU order per namespace, so dropping a namespace's oldest is O(1); buckets in one LRU
    order of last use. One lock: every call is short and never waits on anything."""

    url = "memory"

    def __init__(self, max_buckets: int = MAX_BUCKETS) -> None:
        self._sessions: dict[str, _Session] = {}
        self._by_namespace: dict[str, OrderedDict[str, None]] = {}
        self._buckets: OrderedDict[str, tuple[float, float, float]] = OrderedDict()  # key -> tokens, seen, full at
        self._values: dict[str, str] = {}
        self._max_buckets = max_buckets
        self._lock = threading.Lock()

    def get_session(self, key: str, now: float) -> str | None:
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if session.expires <= now:
                self._drop(key)
                return None
            return session.value

    def put_session(self, key: str, value: str, *, namespace: str, now: float, ttl_seconds: float,
                    max_per_namespace: int, max_total: int) -> None:
        with self._lock:
            if key in self._sessions:
                self._drop(key)  # it may move to another namespace: whoever wrote it last owns it
            self._sessions[key] = _Session(value, namespace, now + ttl_seconds)
            keys = self._by_namespace.setdefault(namespace, OrderedDict())
            keys[key] = None
            self._drop_expired(keys, now)
            while len(keys) > max_per_namespace:
                self._drop(next(iter(keys)))
            while len(self._sessions) > max_total:
                largest = max(self._by_namespace.values(), key=len)
                self._drop(next(iter(largest)))

    def session_count(self) -> int:
        with self._lock:
            return len(self._sessions)

    def take_token(self, key: str, capacity: float, refill_per_second: float, now: float) -> float:
        with self._lock:
            self._forget_full_buckets(now)
            tokens, seen, _ = self._buckets.pop(key, (capacity, now, now))
            tokens, wait = refill(tokens, seen, capacity, refill_per_second, now)
            self._buckets[key] = (tokens, now, now + seconds_to_full(tokens, capacity, refill_per_second))
            return wait

    def get_value(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def set_value(self, name: str, value: str) -> None:
        with self._lock:
            self._values[name] = value

    def close(self) -> None:
        pass

    def _drop(self, key: str) -> None:
        session = self._sessions.pop(key)
        keys = self._by_namespace[session.namespace]
        del keys[key]
        if not keys:
            del self._by_namespace[session.namespace]

    def _drop_expired(self, keys: OrderedDict[str, None], now: float) -> None:
        # oldest first: with one TTL the expired ones are at the front
        while keys and self._sessions[next(iter(keys))].expires <= now:
            self._drop(next(iter(keys)))

    def _forget_full_buckets(self, now: float) -> None:
        """Least recently used first: stop at the first bucket still refilling, unless there are too many."""
        while self._buckets:
            oldest, (_, _, full_at) = next(iter(self._buckets.items()))
            if full_at > now and len(self._buckets) < self._max_buckets:
                break
            del self._buckets[oldest]

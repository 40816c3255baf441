"""The state of several machines, in Redis (``redis://[:password@]host:port/db``, ``rediss://`` for TLS).

Atomicity: a token bucket and a session write are each one Lua script, which Redis runs alone, so replicas never
both take the last token or both miss an eviction. The scripts build key names from a prefix: standalone Redis
(or a primary with replicas) only, not Redis Cluster.

Expiry: every session and its namespace index carry a Redis TTL, and a bucket expires once it would be full again,
so Redis drops what is idle on its own. ``max_total`` is not enforced here: the total is bounded by
``max_per_namespace`` per client and the TTL (run Redis with a ``maxmemory`` and ``volatile-ttl`` as a backstop).

Failures: a command that fails (connection refused or lost, timeout) raises ``StoreUnavailable``; after a failure
the store answers ``StoreUnavailable`` at once for ``RETRY_AFTER_SECONDS`` instead of letting every request wait
for a connect timeout while Redis is down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis

from assistant.state.base import StoreUnavailable

PREFIX = "assistant:"
SOCKET_TIMEOUT_SECONDS = 1.0
RETRY_AFTER_SECONDS = 5.0

Result = TypeVar("Result")

# KEYS: bucket. ARGV: capacity, refill per second, now. Returns the seconds to wait, as a string (a Lua number
# would come back as an integer).
_TAKE = """
local capacity, rate, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'seen')
local tokens = tonumber(bucket[1]) or capacity
local seen = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - seen) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'seen', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return string.format('%.17g', wait)
"""

# KEYS: session, namespace index (a sorted set of the namespace's session keys by time written). ARGV: value,
# namespace, now, ttl ms, max per namespace, key prefix of sessions, key prefix of namespace indexes, session key.
_PUT = """
local value, namespace, now, ttl_ms, most = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local sessions, namespaces, key = ARGV[6], ARGV[7], ARGV[8]
local previous = redis.call('HGET', KEYS[1], 'namespace')
if previous and previous ~= namespace then redis.call('ZREM', namespaces .. previous, key) end
redis.call('HSET', KEYS[1], 'value', value, 'namespace', namespace, 'expires', string.format('%.17g', now + ttl_ms / 1000))
redis.call('PEXPIRE', KEYS[1], ttl_ms)
redis.call('ZADD', KEYS[2], now, key)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl_ms / 1000)
local over = redis.call('ZCARD', KEYS[2]) - most
if over > 0 then
  for _, oldest in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do redis.call('DEL', sessions .. oldest) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
redis.call('PEXPIRE', KEYS[2], ttl_ms)
"""


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStore:
    def __init__(self, url: str) -> None:
        self.url = redacted(url)
        self._client = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_SECONDS,
                                            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS, health_check_interval=30)
        self._down_until = 0.0
        self._lock = threading.Lock()
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"cannot reach the Redis state store {self.url}: {exc}") from exc
        self._take = self._client.register_script(_TAKE)
        self._put = self._client.register_script(_PUT)

    def _call(self, command: Callable[[], Result]) -> Result:
        if time.monotonic() < self._down_until:
            raise StoreUnavailable(f"the Redis state store {self.url} failed less than {RETRY_AFTER_SECONDS} s ago")
        try:
            return command()
        except redis.RedisError as exc:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            raise StoreUnavailable(f"the Redis state store {self.url} failed: {exc}") from exc

    def get_session(self, key: str, now: float) -> str | None:
        # the expiry time is checked as well as Redis's own TTL: ``now`` is what the caller's clock says
        value, expires = self._call(lambda: self._client.hmget(f"{PREFIX}session:{key}", "value", "expires"))
        if value is None or expires is None or float(expires) <= now:
            return None
        return value.decode()

    def put_session(self, key: str, value: str, *, namespace: str, now: float, ttl_seconds: float,
                    max_per_namespace: int, max_total: int) -> None:
        sessions, namespaces = f"{PREFIX}session:", f"{PREFIX}namespace:"
        self._call(lambda: self._put(
            keys=[f"{sessions}{key}", f"{namespaces}{namespace}"],
            args=[value, namespace, repr(now), max(1, int(ttl_seconds * 1000)), max_per_namespace, sessions,
                  namespaces, key]))

    def session_count(self) -> int:
        return self._call(lambda: sum(1 for _ in self._client.scan_iter(match=f"{PREFIX}session:*", count=1000)))

    def take_token(self, key: str, capacity: float, refill_per_second: float, now: float) -> float:
        wait = self._call(lambda: self._take(keys=[f"{PREFIX}bucket:{key}"],
                                             args=[repr(float(capacity)), repr(float(refill_per_second)), repr(now)]))
        return float(wait)

    def get_value(self, name: str) -> str | None:
        value = self._call(lambda: self._client.get(f"{PREFIX}value:{name}"))
        return value.decode() if value is not None else None

    def set_value(self, name: str, value: str) -> None:
        self._call(lambda: self._client.set(f"{PREFIX}value:{name}", value))

    def close(self) -> None:
        self._client.close()

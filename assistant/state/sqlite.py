"""The state of the workers of one machine, in one SQLite file (``sqlite:///abs/path.db``, ``sqlite:rel/path.db``).

WAL mode lets readers go on while one process writes; every write is one ``BEGIN IMMEDIATE`` transaction, which
takes the write lock before reading, so a token bucket read-modify-write is atomic across processes (two workers
never both take the last token). A lock held longer than the busy timeout (a stuck process, a file on a network
share that does not lock) becomes ``StoreUnavailable`` rather than a wait without end.

Each thread has a connection of its own, so reads never wait for a write. The threads of one process write one at
a time (a lock: they wait without spinning), and the one writing waits for the other processes' write lock here, in
steps from 50 µs, not by SQLite's busy handler, which sleeps 1, 2, 5, 10 ... 100 ms between tries: a write holds
the lock for tens of microseconds, and under two workers' load those sleeps left a fifth of the CPU idle
(bench/load_serving.py). Without the lock, 40 threads of one process retried against each other: one worker
fell from 745 to 133 answers/s.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.state.base import StoreUnavailable, refill, seconds_to_full

BUSY_TIMEOUT_MS = 5000
_FIRST_WAIT_S, _LONGEST_WAIT_S = 50e-6, 2e-3  # between two tries for the write lock, doubling
FORGET_EVERY = 1000  # takes between two sweeps of the buckets that are full again

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, namespace TEXT NOT NULL, written REAL NOT NULL, expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_namespace ON sessions (namespace, written);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires);
CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, seen REAL NOT NULL, full_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS buckets_by_full_at ON buckets (full_at);
CREATE TABLE IF NOT EXISTS state_values (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def sqlite_path(url: str) -> Path:
    """``sqlite:///abs/path.db`` -> /abs/path.db; ``sqlite:rel/path.db`` -> rel/path.db (from the working folder)."""
    rest = url.removeprefix("sqlite:")
    if rest.startswith("//"):
        rest = rest[2:]  # sqlite:///abs -> /abs; sqlite://rel would be a host name, which a file has none of
        if not rest.startswith("/"):
            raise ValueError(f"{url!r}: write sqlite:///absolute/path.db or sqlite:relative/path.db")
    if not rest:
        raise ValueError(f"{url!r}: the SQLite state store needs a file path")
    return Path(rest)


class SQLiteStore:
    """A connection per thread (and per process: a worker forked from a master that opened the store, as gunicorn
    --preload does, must not use the master's, SQLite connections do not survive a fork); the threads and the
    processes coordinate through SQLite's own file locks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._local = threading.local()
        # this process's connections and the threads they belong to, for close()
        self._opened: list[tuple[weakref.ref, sqlite3.Connection]] = []
        self._opened_pid = os.getpid()
        self._opened_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writing thread per process (see above)
        self._takes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # kept in the file: every later connection is in WAL mode (it cannot be set inside a transaction)
            self._retrying(lambda db: db.execute("PRAGMA journal_mode = WAL").fetchone())
            with self._write() as db:  # executescript would commit on its own
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
        except (OSError, sqlite3.Error, StoreUnavailable) as exc:
            raise StoreUnavailable(f"cannot open the SQLite state store {url}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            # autocommit mode (isolation_level=None): the transactions below are explicit. SQLite's own busy wait
            # is off (timeout 0): _write waits for the write lock in shorter steps
            db = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; a power cut may lose the last turn
            with self._opened_lock:
                if self._opened_pid != os.getpid():
                    self._opened, self._opened_pid = [], os.getpid()  # the parent's are not ours to close
                # a thread that ended left its connection here: closed now, so threads that come and go leak none
                for ended in [c for t, c in self._opened if t() is None]:
                    ended.close()
                self._opened = [(t, c) for t, c in self._opened if t() is not None]
                self._opened.append((weakref.ref(threading.current_thread()), db))
            local.db, local.pid = db, os.getpid()
        return local.db

    def _retrying(self, run):
        """``run(connection)``, tried again while another connection holds the lock, up to the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        wait = _FIRST_WAIT_S
        while True:
            try:
                return run(self._connection())
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or \
                        time.monotonic() + wait > deadline:
                    raise StoreUnavailable(f"the SQLite state store {self.url} failed: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"the SQLite state store {self.url} failed: {exc}") from exc
            time.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT_S)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, the write lock taken at its start (BEGIN IMMEDIATE)."""
        def begin(db: sqlite3.Connection) -> sqlite3.Connection:
            db.execute("BEGIN IMMEDIATE")
            return db

        with self._write_lock:
            db = self._retrying(begin)
            try:
                yield db
                db.execute("COMMIT")  # in WAL mode a commit waits for no reader
            except BaseException as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreUnavailable(f"the SQLite state store {self.url} failed: {exc}") from exc
                raise

    def _read(self, sql: str, args: tuple) -> tuple | None:
        return self._retrying(lambda db: db.execute(sql, args).fetchone())

    def get_session(self, key: str, now: float) -> str | None:
        row = self._read("SELECT value FROM sessions WHERE key = ? AND expires > ?", (key, now))
        return row[0] if row else None

    def put_session(self, key: str, value: str, *, namespace: str, now: float, ttl_seconds: float,
                    max_per_namespace: int, max_total: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))  # indexed: cheap when nothing expired
            db.execute("INSERT OR REPLACE INTO sessions (key, value, namespace, written, expires) VALUES (?, ?, ?, ?, ?)",
                       (key, value, namespace, now, now + ttl_seconds))
            # the namespace's own oldest beyond its share; rowid breaks ties of equal times in insertion order
            db.execute("DELETE FROM sessions WHERE key IN (SELECT key FROM sessions WHERE namespace = ? "
                       "ORDER BY written DESC, rowid DESC LIMIT -1 OFFSET ?)", (namespace, max_per_namespace))
            (total,) = db.execute("SELECT count(*) FROM sessions").fetchone()
            for _ in range(total - max_total):
                # a scan of the namespace index, only while the store is over its total
                (largest,) = db.execute("SELECT namespace FROM sessions GROUP BY namespace "
                                        "ORDER BY count(*) DESC, min(written) LIMIT 1").fetchone()
                db.execute("DELETE FROM sessions WHERE key = (SELECT key FROM sessions WHERE namespace = ? "
                           "ORDER BY written, rowid LIMIT 1)", (largest,))

    def session_count(self) -> int:
        row = self._read("SELECT count(*) FROM sessions", ())
        return row[0] if row else 0

    def take_token(self, key: str, capacity: float, refill_per_second: float, now: float) -> float:
        with self._write() as db:
            row = db.execute("SELECT tokens, seen FROM buckets WHERE key = ?", (key,)).fetchone()
            tokens, seen = row if row else (capacity, now)
            tokens, wait = refill(tokens, seen, capacity, refill_per_second, now)
            db.execute("INSERT OR REPLACE INTO buckets (key, tokens, seen, full_at) VALUES (?, ?, ?, ?)",
                       (key, tokens, now, now + seconds_to_full(tokens, capacity, refill_per_second)))
            self._takes += 1
            if self._takes % FORGET_EVERY == 0:  # a full bucket is the same as none: the table holds recent clients
                db.execute("DELETE FROM buckets WHERE full_at <= ?", (now,))
            return wait

    def get_value(self, name: str) -> str | None:
        row = self._read("SELECT value FROM state_values WHERE name = ?", (name,))
        return row[0] if row else None

    def set_value(self, name: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO state_values (name, value) VALUES (?, ?)", (name, value))

    def close(self) -> None:
        with self._opened_lock:
            if self._opened_pid == os.getpid():
                for _, db in self._opened:
                    db.close()
            self._opened = []
        self._local = threading.local()

"""The state of the workers of one machine, in one SQLite file (``sqlite:///abs/path.db``, ``sqlite:rel/path.db``).

WAL mode lets readers go on while one process writes; every write is one ``BEGIN IMMEDIATE`` transaction, which
takes the write lock before reading, so a token bucket read-modify-write is atomic across processes (two workers
never both take the last token). A lock held longer than the busy timeout (a stuck process, a file on a network
share that does not lock) becomes ``StoreUnavailable`` rather than a wait without end.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.state.base import StoreUnavailable, refill, seconds_to_full

BUSY_TIMEOUT_MS = 5000
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
    """One connection per store object, used under a lock (sqlite3 connections must not be used by two threads
    at once); the processes coordinate through SQLite's own file locks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._lock = threading.Lock()
        self._takes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connect()
            with self._write() as db:  # executescript would commit on its own
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the SQLite state store {url}: {exc}") from exc

    def _connect(self) -> None:
        # autocommit mode (isolation_level=None): the transactions below are explicit
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; a power cut may lose the last turn
        self._pid = os.getpid()

    def _connection(self) -> sqlite3.Connection:
        """The connection of this process: a worker forked from a master that opened the store (gunicorn
        --preload) must not use the master's, SQLite connections do not survive a fork."""
        if self._pid != os.getpid():
            self._connect()
        return self._db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, the write lock taken at its start (BEGIN IMMEDIATE)."""
        with self._lock:
            try:
                db = self._connection()
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"the SQLite state store {self.url} failed: {exc}") from exc

    def _read(self, sql: str, args: tuple) -> tuple | None:
        with self._lock:
            try:
                return self._connection().execute(sql, args).fetchone()
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"the SQLite state store {self.url} failed: {exc}") from exc

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
        with self._lock:
            self._db.close()
